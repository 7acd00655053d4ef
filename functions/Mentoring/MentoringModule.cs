using Matching.Storage;

namespace Matching.Mentoring;

public static class MentoringModule
{
    public static IServiceCollection AddMentoring(this IServiceCollection services) => services
        .AddTable(MentorDirectory.Table)
        .AddTable(MentorRequests.Table)
        .AddTable(MentoringDeadlines.Table)
        .AddBlobContainer(ModelStore.Container)
        .AddSingleton<MentorSnapshot>()
        .AddSingleton<MentorDirectory>()
        .AddSingleton<ModelStore>()
        .AddSingleton<MentoringDeadlines>()
        .AddSingleton<MentoringLifecycle>();
}
