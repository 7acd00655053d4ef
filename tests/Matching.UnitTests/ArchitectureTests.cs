using Matching.Studies;
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
    /// One direction inside the function app: the features declare their access (Security) and read their queue
    /// messages (Storage) without importing the host; Storage is told which queues to create (Hosting declares them
    /// from its catalog when it composes the app). Hosting composes, never the reverse.
    /// </summary>
    [Fact]
    public void Features_security_and_platform_do_not_depend_on_the_host()
    {
        var app = NetArchTest.Rules.Types.InAssembly(typeof(Matching.Mentoring.ExplanationWords).Assembly);
        string[] below = ["Matching.Offers", "Matching.Mentoring", "Matching.Learners", "Matching.Organisations", "Matching.Notifications",
            "Matching.Reports", "Matching.Diagnostics", "Matching.Security", "Matching.Platform", "Matching.Health", "Matching.Storage"];
        var result = app.That().ResideInNamespace(below[0]).Or().ResideInNamespace(below[1]).Or().ResideInNamespace(below[2]).Or().ResideInNamespace(below[3])
            .Or().ResideInNamespace(below[4]).Or().ResideInNamespace(below[5]).Or().ResideInNamespace(below[6]).Or().ResideInNamespace(below[7])
            .Or().ResideInNamespace(below[8]).Or().ResideInNamespace(below[9]).Or().ResideInNamespace(below[10])
            .ShouldNot().HaveDependencyOn("Matching.Hosting").GetResult();
        Assert.True(result.IsSuccessful, "These depend on Matching.Hosting: " + string.Join(", ", result.FailingTypeNames ?? []));
        // Storage and Security sit below the features and the platform.
        string[] features = ["Matching.Offers", "Matching.Mentoring", "Matching.Learners", "Matching.Organisations", "Matching.Notifications", "Matching.Reports"];
        var low = app.That().ResideInNamespace("Matching.Storage").Or().ResideInNamespace("Matching.Security")
            .ShouldNot().HaveDependencyOnAny(features).GetResult();
        Assert.True(low.IsSuccessful, "Storage or Security depend on a feature: " + string.Join(", ", low.FailingTypeNames ?? []));
    }
}
