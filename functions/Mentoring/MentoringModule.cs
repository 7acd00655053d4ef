using Matching.Storage;

namespace Matching.Mentoring;

public static class MentoringModule
{
    public static IServiceCollection AddMentoring(this IServiceCollection services) => services
        .AddTable(MentorDirectory.Table)
        .AddTable(MentorRequests.Table)
        .AddTable(MentoringDeadlines.Table)
        .AddTable(Sessions.SessionBook.Table)
        .AddTable(Sessions.SessionBook.CheckInTable)
        .AddTable(Sessions.VenueDirectory.Table)
        .AddTable(FollowUpAlerts.Table)
        .AddTable(ProgrammeDirectory.Table)
        .AddTable(ModelRegistry.Table)
        .AddBlobContainer(ModelStore.Container)
        .AddBlobContainer(StoredKey.Container)
        .AddSingleton<MentorSnapshot>()
        .AddSingleton<MentorDirectory>()
        .AddSingleton<ModelStore>()
        .AddSingleton<ModelRegistry>()
        .AddSingleton(sp => new Engine.LoadSpread(sp.GetRequiredService<IConfiguration>().GetValue("Mentoring:LoadSpreadWeight", Engine.LoadSpread.DefaultWeight),
            sp.GetRequiredService<TimeProvider>()))
        .AddSingleton<MentoringDeadlines>()
        .AddSingleton<MentoringLifecycle>()
        .AddSingleton<MatchAccess>()
        .AddSingleton<FollowUpAlerts>()
        .AddSingleton<ProgrammeDirectory>()
        .AddSingleton<PersonalData>()
        .AddSingleton<Learners.ILearnerData>(sp => sp.GetRequiredService<PersonalData>())
        .AddSingleton<Security.ICallerCheck, ErasedPeople>()
        .AddSingleton<Learners.ILearnerStatuses, LearnerStatuses>()
        .AddSingleton<PseudonymKey>()
        .AddSingleton<TrainingExport>()
        .AddSingleton<Sessions.VenueDirectory>()
        .AddSingleton<Sessions.SessionBook>();
}
