using Microsoft.Extensions.Options;
using Matching.Storage;
using Matching.Notifications;

namespace Matching.Mentoring;

public static class MentoringModule
{
    public static IServiceCollection AddMentoring(this IServiceCollection services)
    {
        // Data annotations see the top level only: the sections under it are checked by the same rules explicitly.
        services.AddOptions<MentoringOptions>().BindConfiguration(MentoringOptions.Section).ValidateDataAnnotations()
            .Validate(o => TryValidate(o.Retrain), "A Mentoring:Retrain setting is out of range.")
            .Validate(o => TryValidate(o.FollowUp), "A Mentoring:FollowUp setting is out of range.")
            .ValidateOnStart();
        return services.AddMentoringServices();
    }

    private static bool TryValidate(object section) =>
        System.ComponentModel.DataAnnotations.Validator.TryValidateObject(section, new(section), null, validateAllProperties: true);

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
        // Rows that change with their notices, and what Notifications asks of Mentoring.
        .AddOutboxTable(MentorRequests.Table).AddOutboxTable(Sessions.SessionBook.Table).AddOutboxTable(FollowUpAlerts.Table)
        .AddSingleton<MentoringNotices>().AddSingleton<MentoringFacts>()
        .AddSingleton<Notifications.INoticeParties>(sp => sp.GetRequiredService<MentoringNotices>())
        .AddSingleton<Notifications.ISessionCalendar>(sp => sp.GetRequiredService<MentoringNotices>())
        .AddSingleton<Notifications.IReminderSource>(sp => sp.GetRequiredService<MentoringNotices>());
}
