using System.Reflection;

namespace Matching.UnitTests;

/// <summary>
/// The layering the compiler cannot see, held by a test (issue 30): the serving engine is pure. It references no
/// ASP.NET Core, Azure SDK, ML.NET, localisation or other app assembly, and carries no resources: the app words the
/// engine's codes. Training (ML.NET) stays out of it, so serving a model never loads ML.NET through the engine.
/// </summary>
public sealed class ArchitectureTests
{
    private static readonly Assembly Engine = typeof(Matching.Engine.PairFeatures).Assembly;

    [Fact]
    public void The_engine_references_only_the_base_library()
    {
        var references = Engine.GetReferencedAssemblies().Select(a => a.Name!).ToList();
        var forbidden = references.Where(name => !(name is "netstandard" || name.StartsWith("System", StringComparison.Ordinal) || name == "Microsoft.Win32.Primitives"))
            .ToList();
        Assert.True(forbidden.Count == 0, $"The engine references {string.Join(", ", forbidden)}; it may use only the base library.");
        Assert.Empty(Engine.GetManifestResourceNames());
    }

    [Fact]
    public void The_engine_is_in_its_own_namespace_and_the_app_keeps_none_of_it()
    {
        Assert.All(Engine.GetTypes().Where(t => t.Namespace is not null && !t.Name.StartsWith('<')), t => Assert.Equal("Matching.Engine", t.Namespace));
        var app = typeof(Matching.Mentoring.ExplanationWords).Assembly;
        Assert.DoesNotContain(app.GetTypes(), t => t.Namespace == "Matching.Engine");
        // Training (ML.NET) lives apart from serving: no engine type touches it.
        Assert.DoesNotContain(Engine.GetReferencedAssemblies(), a => a.Name!.StartsWith("Microsoft.ML", StringComparison.Ordinal));
    }

    /// <summary>ML.NET is Matching.Training's alone: the function app calls training (the weekly timer, the commands) but
    /// touches no ML.NET type itself, so serving never loads it; training knows nothing of the app or of Azure.</summary>
    [Fact]
    public void Only_training_uses_ml_net_and_training_knows_nothing_of_the_app()
    {
        var app = typeof(Matching.Mentoring.ExplanationWords).Assembly;
        Assert.DoesNotContain(app.GetReferencedAssemblies(), a => a.Name!.StartsWith("Microsoft.ML", StringComparison.Ordinal));
        var training = typeof(Matching.Training.TrainingPlan).Assembly;
        Assert.Contains(training.GetReferencedAssemblies(), a => a.Name == "Microsoft.ML.FastTree");
        Assert.All(training.GetReferencedAssemblies().Select(a => a.Name!), name =>
            Assert.True(name is "Matching.Engine" or "netstandard" || name.StartsWith("System", StringComparison.Ordinal) || name.StartsWith("Microsoft.ML", StringComparison.Ordinal),
                $"Matching.Training references {name}"));
    }

    /// <summary>The command line and the studies are a tool of their own: the serving app ships neither (nor System.CommandLine),
    /// and training holds no study.</summary>
    [Fact]
    public void The_function_app_ships_no_command_line_and_no_study()
    {
        var app = typeof(Matching.Mentoring.ExplanationWords).Assembly;
        Assert.DoesNotContain(app.GetReferencedAssemblies(), a => a.Name == "System.CommandLine");
        Assert.DoesNotContain(app.GetTypes(), t => t.Namespace is "Matching.Commands" or "Matching.Studies");
        Assert.DoesNotContain(typeof(Matching.Training.TrainingPlan).Assembly.GetTypes(), t => t.Name.EndsWith("Study", StringComparison.Ordinal) || t.Name.EndsWith("Simulation", StringComparison.Ordinal));
        Assert.Equal("Matching.Commands", typeof(Matching.Studies.TwoSidedStudy).Assembly.GetName().Name);
    }

    /// <summary>
    /// One direction inside the function app, layer by layer: a namespace may use the layers below it, never its own
    /// layer's neighbours nor anything above. Security and Storage know nothing of the app; Platform (problems, ids,
    /// texts, the audit trail) serves everyone; Notifications is told facts by the features through its own interfaces
    /// (<c>Notifications/NoticeFacts.cs</c>) and reads no feature's table; Organisations, then Learners, then Offers and
    /// Mentoring side by side; Reports, the demo data, diagnostics and health read the features; Hosting composes.
    /// </summary>
    public static readonly string[][] Layers =
    [
        ["Matching.Security", "Matching.Storage"],
        ["Matching.Platform"],
        ["Matching.Notifications"],
        ["Matching.Organisations"],
        ["Matching.Learners"],
        ["Matching.Offers", "Matching.Mentoring"],
        ["Matching.Reports", "Matching.Demo", "Matching.Diagnostics", "Matching.Health", "Matching.Pages"],
        ["Matching.Hosting"],
    ];

    [Fact]
    public void Each_layer_of_the_app_depends_only_on_the_layers_below()
    {
        var app = typeof(Matching.Mentoring.ExplanationWords).Assembly;
        var all = Layers.SelectMany(l => l).ToHashSet();
        // Every namespace of the app has its layer: a new top-level folder must be placed.
        var unplaced = app.GetTypes().Select(t => t.Namespace).OfType<string>().Where(n => n.StartsWith("Matching.", StringComparison.Ordinal))
            .Select(n => string.Join('.', n.Split('.').Take(2))).Distinct().Where(n => !all.Contains(n)).ToList();
        Assert.True(unplaced.Count == 0, "Place these namespaces in a layer: " + string.Join(", ", unplaced));
        var wrong = new List<string>();
        for (var i = 0; i < Layers.Length; i++)
            foreach (var from in Layers[i])
            {
                var notBelow = Layers.Skip(i).SelectMany(l => l).Where(n => n != from).ToArray();
                var result = NetArchTest.Rules.Types.InAssembly(app).That().ResideInNamespace(from).ShouldNot().HaveDependencyOnAny(notBelow).GetResult();
                if (!result.IsSuccessful) wrong.Add($"{from} (layer {i}) uses a layer not below it: {string.Join(", ", result.FailingTypeNames ?? [])}");
            }
        Assert.True(wrong.Count == 0, string.Join(Environment.NewLine, wrong));
    }

    /// <summary>The test above can fail: a type that uses a layer above it is seen (Hosting uses Security, not the reverse).</summary>
    [Fact]
    public void The_layer_check_sees_a_dependency_upwards()
    {
        var app = typeof(Matching.Mentoring.ExplanationWords).Assembly;
        var upward = NetArchTest.Rules.Types.InAssembly(app).That().ResideInNamespace("Matching.Hosting").ShouldNot().HaveDependencyOn("Matching.Security").GetResult();
        Assert.False(upward.IsSuccessful);
    }
}
