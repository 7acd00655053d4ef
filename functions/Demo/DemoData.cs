using System.Text.Json;
using Azure.Data.Tables;
using Matching.Learners;
using Matching.Mentoring;
using Matching.Engine;
using Matching.Offers;
using Matching.Offers.Lheo;
using Matching.Security;

namespace Matching.Demo;

/// <summary>
/// A small fictional dataset for local runs (<c>scripts/run.sh --demo</c>), so that the README's requests work
/// at once. Every id is fixed, so seeding twice changes nothing. Only in the local host, never on Azure.
/// </summary>
public sealed class DemoData(OfferService offers, LearnerDirectory learners, MentorDirectory mentors, Mentoring.Sessions.VenueDirectory venues,
    Mentoring.Sessions.SessionBook sessions, TableServiceClient tables, Organisations.OrganisationDirectory directory, IConfiguration configuration,
    TimeProvider time, ILogger<DemoData> logger) : BackgroundService
{
    /// <summary>The local OpenID provider scripts/run.sh starts (tools/oidc-provider): the demo's people sign in there by name.</summary>
    public const string LocalProvider = "http://localhost:5100";

    /// <summary>
    /// The subject a demo volunteer acts under. With the pages' sign-in set up, it is the person the local provider's
    /// account <paramref name="name"/> is (as memberships resolve them), so that Karim signed in on the pages and
    /// <c>scripts/token.sh --role mentor --org benevoles-pro --person karim</c> are the same mentor; without it, the name.
    /// </summary>
    public static string Subject(string name, string? provider) => provider is null ? name : new Organisations.Person(provider, name).Id;

    private string? Provider => configuration["Pages:SignIn:Authority"] is { Length: > 0 } authority ? authority : null;

    public const string ProviderOrg = "langues-plus";
    public const string NgoOrg = "konexio";

    public static string OfferId(string key) => LheoImporter.OfferId(ProviderOrg, "demo:" + key);
    public static readonly string FrenchA2 = OfferId("fle-a2");
    public static readonly string DigitalFirstSteps = OfferId("numerique-gueret");
    public static readonly string VirtualClassroom = OfferId("classe-virtuelle");
    public const string AminaId = "0000000000000000000000000000a001";
    public const string YusufId = "0000000000000000000000000000a002";
    public const string VolunteerOrg = "benevoles-pro";
    public const string VenueId = "0000000000000000000000000000e001";
    public const string PastMatchId = "0000000000000000000000000000d001";
    public const string PastSessionId = "0000000000000000000000000000d101";

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
        if (await learners.FindAsync(NgoOrg, AminaId, ct) is null) await learners.CreateAsync(NgoOrg, "Amina", ct, AminaId);
        if (await learners.FindAsync(NgoOrg, YusufId, ct) is null) await learners.CreateAsync(NgoOrg, "Yusuf", ct, YusufId);
        await SeedMentoringAsync(ct);
    }

    private static Availability Evenings(string zone, params (DayOfWeek Day, int From, int To)[] slots) =>
        new(zone, slots.Select(s => new WeeklySlot(s.Day, new TimeOnly(s.From, 0), new TimeOnly(s.To, 0))).ToList());

    /// <summary>Four fictional volunteers (tokens: --role mentor --org benevoles-pro --person claire|karim|sophie|malik; or --sub
    /// without the pages' sign-in) and the two learners' profiles.</summary>
    private async Task SeedMentoringAsync(CancellationToken ct)
    {
        var volunteers = new (string Sub, MentorProfileInput Profile)[]
        {
            ("claire", new MentorProfileInput("Claire", "claire@example.org", [new("fr", Cefr.Native), new("en", Cefr.C1)],
                [Expertise.CvReview, Expertise.InterviewPreparation, Expertise.SectorKnowledge],
                Evenings("Europe/Paris", (DayOfWeek.Monday, 18, 20), (DayOfWeek.Thursday, 18, 20)), [SessionMode.Video, SessionMode.Phone], 2,
                "web developer", "digital", "M1805", YearsOfExperience: 12, Bio: "Web developer for twelve years; I review CVs and rehearse interviews for tech jobs.")),
            ("karim", new MentorProfileInput("Karim", "karim@example.org", [new("fr", Cefr.Native), new("ar", Cefr.Native)],
                [Expertise.ProfessionalProject, Expertise.JobSearch, Expertise.Entrepreneurship],
                Evenings("Europe/Paris", (DayOfWeek.Tuesday, 19, 21), (DayOfWeek.Saturday, 10, 12)), [SessionMode.Video, SessionMode.Phone, SessionMode.InPerson], 3,
                "logistics manager", "logistics", "N1301", YearsOfExperience: 20, Home: new Place(46.1716, 1.8717, "23096"), TravelRadiusKm: 30,
                Bio: "Logistics manager in the Creuse; I help build a professional project and find a job.")),
            ("sophie", new MentorProfileInput("Sophie", "sophie@example.org", [new("fr", Cefr.Native), new("uk", Cefr.B2)],
                [Expertise.DigitalSkills, Expertise.FrenchPractice, Expertise.CvReview],
                Evenings("Europe/Paris", (DayOfWeek.Monday, 17, 19), (DayOfWeek.Wednesday, 17, 19)), [SessionMode.Phone], 2,
                "teacher", "education", "K2107", YearsOfExperience: 8, Bio: "Teacher; French conversation by phone and first steps with computers.", Gender: Gender.Woman)),
            ("malik", new MentorProfileInput("Malik", "malik@example.org", [new("fr", Cefr.C2), new("en", Cefr.Native)],
                [Expertise.InterviewPreparation, Expertise.SectorKnowledge],
                Evenings("America/Toronto", (DayOfWeek.Monday, 12, 14)), [SessionMode.Video], 1,
                "accountant", "finance", "M1203", YearsOfExperience: 15, Bio: "Accountant in Montreal; interview practice for finance roles.")),
        };
        foreach (var (sub, profile) in volunteers)
        {
            var id = Platform.Ids.MentorId(VolunteerOrg, Subject(sub, Provider));
            if (await mentors.FindAsync(id, ct) is null) await mentors.SaveAsync(id, profile, paused: null, ct);
            await VolunteerMembershipAsync(sub, ct);
        }
        await LearnerProfile(AminaId, new LearnerProfileInput([new("ar", Cefr.Native), new("fr", Cefr.B1)],
            Evenings("Europe/Paris", (DayOfWeek.Monday, 17, 21), (DayOfWeek.Thursday, 18, 21)), [SessionMode.Phone, SessionMode.Video],
            TargetOccupation: "web developer", TargetSector: "digital", TargetRome: "M1805"), ct);
        await LearnerProfile(YusufId, new LearnerProfileInput([new("ps", Cefr.Native), new("fr", Cefr.A2), new("en", Cefr.B1)],
            Evenings("Europe/Paris", (DayOfWeek.Tuesday, 18, 21), (DayOfWeek.Saturday, 9, 13)), [SessionMode.Phone, SessionMode.InPerson],
            TargetOccupation: "warehouse team leader", TargetSector: "logistics", Place: new Place(46.16, 1.87, "23096"),
            Contact: new ContactChannel(ContactKind.Phone, "+33600000002"), TravelRadiusKm: 15), ct);
        await venues.AddAsync(new Mentoring.Sessions.VenueInput("Coworking de la gare (fictif)", "23096", 46.1716, 1.8717,
            Evenings("Europe/Paris", (DayOfWeek.Tuesday, 9, 21), (DayOfWeek.Wednesday, 9, 21), (DayOfWeek.Thursday, 9, 21), (DayOfWeek.Friday, 9, 21), (DayOfWeek.Saturday, 9, 13)),
            StepFreeAccess: true, Address: "1 place de la Gare, 23000 Guéret"), NgoOrg, ct, VenueId);
        await PastMatchAsync(ct);
    }

    /// <summary>With the pages' sign-in: the volunteer is a member of the network, as if they had accepted an invitation.</summary>
    private async Task VolunteerMembershipAsync(string name, CancellationToken ct)
    {
        if (Provider is not { } provider) return;
        var person = new Organisations.Person(provider, name).Id;
        if ((await directory.MembershipsOfAsync(person, ct)).Any(m => m.OrganisationId == VolunteerOrg)) return;
        await directory.CreateAsync(new Organisations.OrganisationInput(VolunteerOrg, "Bénévoles Pro (fictif)", Organisations.OrganisationKind.VolunteerNetwork), "demo", ct);
        var invitation = await directory.InviteAsync(VolunteerOrg, new Organisations.InvitationInput($"{name}@example.org", Role.Mentor), "demo", ct);
        await directory.AcceptAsync(invitation.Token!, person, ct);
    }

    /// <summary>
    /// Amina and Claire were matched two weeks ago and met by video last Monday: the session has ended and both have a
    /// check-in waiting, so that the walk-through can answer one. Written as the lifecycle would have written it.
    /// </summary>
    private async Task PastMatchAsync(CancellationToken ct)
    {
        var requests = tables.GetTableClient(MentorRequests.Table);
        if ((await requests.GetEntityIfExistsAsync<TableEntity>(NgoOrg, PastMatchId, cancellationToken: ct)).HasValue) return;
        var now = time.GetUtcNow();
        var claire = Platform.Ids.MentorId(VolunteerOrg, Subject("claire", Provider));
        var paris = TimeZoneInfo.FindSystemTimeZoneById("Europe/Paris");
        var day = TimeZoneInfo.ConvertTime(now, paris).Date.AddDays(-1);
        while (day.DayOfWeek != DayOfWeek.Monday) day = day.AddDays(-1);
        var start = new DateTimeOffset(day.AddHours(18).AddMinutes(30), paris.GetUtcOffset(day.AddHours(18)));
        await mentors.TakeOfferAsync(claire, NgoOrg, PastMatchId, ct);
        await mentors.AcceptOfferAsync(claire, NgoOrg, PastMatchId, ct);
        var row = MentorRequestRow.New(NgoOrg, PastMatchId);
        (row.LearnerId, row.Goals, row.Status, row.MentorId, row.Scorer) = (AminaId, [Expertise.CvReview], RequestStatus.Matched, claire, "ml-v3");
        (row.CreatedAt, row.MatchedAt, row.UpdatedAt, row.Proposals, row.Reasons) = (now.AddDays(-15), now.AddDays(-14), now.AddDays(-14), [], []);
        // What the scoring saw then (Claire alone was proposed), so that the training export has this outcome once a session is held.
        if (await learners.RowAsync(NgoOrg, AminaId, ct) is { } aminaRow && LearnerProfiles.Read(aminaRow) is { } aminaProfile
            && await mentors.FindAsync(claire, ct) is { } claireRecord)
            ScoringRounds.Add(row, LearnerProfiles.ToEngine(AminaId, aminaProfile), [claireRecord.Profile], [1.0], "ml-v3", now.AddDays(-15));
        row.AddHistory(new RequestHistoryEntry(now.AddDays(-15), RequestEvent.Chosen, claire, "chosen"));
        row.AddHistory(new RequestHistoryEntry(now.AddDays(-14), RequestEvent.Accepted, claire));
        await requests.UpsertEntityAsync(row.Entity, TableUpdateMode.Replace, ct);
        if (await learners.RowAsync(NgoOrg, AminaId, ct) is { } amina) await learners.TakeRequestSlotAsync(amina, PastMatchId, ct);
        var session = Mentoring.Sessions.SessionRow.New(NgoOrg, PastMatchId, PastSessionId, start.AddDays(-4));
        (session.Status, session.ProposedBy, session.Mode, session.VideoLink) = (Mentoring.Sessions.SessionStatus.Confirmed, Party.Mentor, SessionMode.Video, "https://meet.example.org/claire");
        (session.Start, session.End, session.ConfirmedAt) = (start, start.AddHours(1), start.AddDays(-3));
        await tables.GetTableClient(Mentoring.Sessions.SessionBook.Table).UpsertEntityAsync(session.Entity, TableUpdateMode.Replace, ct);
        await sessions.OpenCheckInsAsync(new MentoringDeadlines.Due(MentoringDeadlines.Kind.CheckIn, NgoOrg, PastMatchId, PastSessionId, start.AddHours(1), ""), ct);
    }

    private async Task LearnerProfile(string learnerId, LearnerProfileInput profile, CancellationToken ct)
    {
        if (await learners.RowAsync(NgoOrg, learnerId, ct) is { } row && row.ProfileJson is null)
            await learners.SaveProfileAsync(row, JsonSerializer.Serialize(profile, TrainingData.Json), ct);
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
    public static IServiceCollection AddDemoData(this IServiceCollection services, IConfiguration configuration, bool underFunctionsHost)
    {
        if (configuration.GetValue("Matching:SeedDemoData", false) && !underFunctionsHost && !AuthSettings.RunningOnAzure)
            services.AddHostedService<DemoData>();
        return services;
    }
}
