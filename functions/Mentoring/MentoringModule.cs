using Microsoft.Extensions.Options;
using Matching.Storage;
using Matching.Notifications;

namespace Matching.Mentoring;

public static class MentoringModule
{
    public static IServiceCollection AddMentoring(this IServiceCollection services)
    {
        services.AddOptions<MentoringOptions>().BindConfiguration(MentoringOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<MentoringOptions>, MentoringOptionsValidator>();
        return services.AddMentoringServices();
    }

    private static IServiceCollection AddMentoringServices(this IServiceCollection services) => services
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
        .AddSingleton(sp => new Engine.LoadSpread(sp.GetRequiredService<IOptions<MentoringOptions>>().Value.LoadSpreadWeight, sp.GetRequiredService<TimeProvider>()))
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
        .AddSingleton<Sessions.SessionBook>()
        .AddSingleton<Sessions.SessionActions>().AddSingleton<OfferAnswers>()
        // Rows that change with their notices, and what Notifications asks of Mentoring.
        .AddOutboxTable(MentorRequests.Table).AddOutboxTable(Sessions.SessionBook.Table).AddOutboxTable(FollowUpAlerts.Table)
        .AddSingleton<MentoringNotices>().AddSingleton<MentoringFacts>()
        .AddSingleton<Notifications.INoticeParties>(sp => sp.GetRequiredService<MentoringNotices>())
        .AddSingleton<Notifications.ISessionCalendar>(sp => sp.GetRequiredService<MentoringNotices>())
        .AddSingleton<Notifications.IReminderSource>(sp => sp.GetRequiredService<MentoringNotices>());
}
