using Matching.Learners;
using Matching.Offers;
using Matching.Offers.Lheo;
using Matching.Security;

namespace Matching.Demo;

/// <summary>
/// A small fictional dataset for local runs (<c>scripts/run.sh --demo</c>), so that the README's requests work
/// at once. Every id is fixed, so seeding twice changes nothing. Only in local mode, never on Azure.
/// </summary>
public sealed class DemoData(OfferService offers, LearnerDirectory learners, TimeProvider time, ILogger<DemoData> logger) : BackgroundService
{
    public const string ProviderOrg = "langues-plus";
    public const string NgoOrg = "konexio";

    public static string OfferId(string key) => LheoImporter.OfferId(ProviderOrg, "demo:" + key);
    public static readonly string FrenchA2 = OfferId("fle-a2");
    public static readonly string DigitalFirstSteps = OfferId("numerique-gueret");
    public static readonly string VirtualClassroom = OfferId("classe-virtuelle");
    public const string AminaId = "0000000000000000000000000000a001";
    public const string YusufId = "0000000000000000000000000000a002";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        for (var attempt = 1; attempt <= 10 && !stoppingToken.IsCancellationRequested; attempt++)
        {
            try
            {
                await SeedAsync(stoppingToken);
                logger.LogInformation("Demo data ready: provider {Provider}, NGO {Ngo}", ProviderOrg, NgoOrg);
                return;
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning("Demo data not seeded yet ({ErrorType}); retrying", ex.GetType().Name);
                await Task.Delay(TimeSpan.FromSeconds(attempt), stoppingToken);
            }
        }
    }

    private async Task SeedAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var opens = new DateTimeOffset(now.Year, now.Month, 1, 0, 0, 0, TimeSpan.Zero);
        await Offer(FrenchA2, new OfferDetails(
            "Français langue étrangère A2 : 1 000 cours offerts pendant un mois",
            [new OfferTopic("French as a foreign language", Formacode: "15235")], ["fr", "en", "ar"], OfferFormat.VirtualClass, 1000,
            opens, opens.AddMonths(2), "Cours collectifs en classe virtuelle, 6 h par semaine, pour des personnes accompagnées par une association.",
            CourseStart: DateOnly.FromDateTime(opens.AddMonths(1).UtcDateTime), CourseEnd: DateOnly.FromDateTime(opens.AddMonths(2).UtcDateTime),
            TargetGroups: ["refugees", "job seekers"], PerNgoCap: 100), ct);
        await Offer(DigitalFirstSteps, new OfferDetails(
            "Premiers pas numériques au tiers-lieu",
            [new OfferTopic("Digital skills", Formacode: "70322")], ["fr"], OfferFormat.InPerson, 12,
            opens, opens.AddMonths(2), "Ateliers en petit groupe dans un espace de coworking de proximité.",
            Venue: new Venue("Tiers-lieu (fictif), 2 avenue de la Gare, 23000 Guéret", "23096", 46.1716, 1.8717, "Coworking de la gare"),
            TargetGroups: ["women in precarity"], HoldMinutes: 48 * 60, RequiresNamedBeneficiaries: true), ct);
        await Offer(VirtualClassroom, new OfferDetails(
            "Plateforme de classe virtuelle offerte aux organismes de formation",
            [new OfferTopic("Distance learning tools")], ["fr"], OfferFormat.VirtualClass, 50,
            opens, opens.AddMonths(3), "Mise en place sous une semaine ; précisez vos besoins pédagogiques, le volume et le nombre de stagiaires.",
            PerNgoCap: 10), ct);
        await learners.CreateAsync(NgoOrg, "Amina", ct, AminaId);
        await learners.CreateAsync(NgoOrg, "Yusuf", ct, YusufId);
    }

    private async Task Offer(string id, OfferDetails details, CancellationToken ct)
    {
        if (await offers.ReadAsync(id, ct) is not null) return;
        await offers.CreateAsync(ProviderOrg, details, "demo:" + id, ct, id);
        var provider = new Caller("demo", Role.Provider, ProviderOrg);
        await offers.ChangeAsync(provider, id, o => { o.Status = OfferStatus.Open; return null; }, ct);
    }
}

public static class DemoDataSetup
{
    public static IServiceCollection AddDemoData(this IServiceCollection services, IConfiguration configuration)
    {
        if (configuration.GetValue("Matching:SeedDemoData", false) && !Hosting.HostingSetup.UnderFunctionsHost && !AuthSettings.RunningOnAzure)
            services.AddHostedService<DemoData>();
        return services;
    }
}
