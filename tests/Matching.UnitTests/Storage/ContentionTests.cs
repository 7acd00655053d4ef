using Azure;
using Matching.Storage;

namespace Matching.UnitTests.Storage;

/// <summary>The one retry loop (issue 30, item 5): what it retries, how often, and what giving up gives.</summary>
public sealed class ContentionTests
{
    [Fact]
    public async Task A_lost_race_is_tried_again_until_it_wins_and_what_to_forget_is_forgotten_each_time()
    {
        var (attempts, forgotten) = (0, 0);
        var result = await Contention.RetryAsync(() =>
        {
            attempts++;
            if (attempts < 3) throw attempts == 1 ? Contention.Lost() : new RequestFailedException(409, "added meanwhile");
            return Task.FromResult("won");
        }, CancellationToken.None, onLost: () => forgotten++);
        Assert.Equal(("won", 3, 2), (result, attempts, forgotten));
    }

    [Fact]
    public async Task Giving_up_gives_what_the_caller_says_or_else_the_last_loss()
    {
        var attempts = 0;
        var given = await Contention.RetryAsync<string>(() => { attempts++; throw Contention.Lost(); }, CancellationToken.None, maxAttempts: 4, whenExhausted: () => "busy");
        Assert.Equal(("busy", 4), (given, attempts));
        var lost = await Assert.ThrowsAsync<RequestFailedException>(() => Contention.RetryAsync(() => throw Contention.Lost(), CancellationToken.None, maxAttempts: 2));
        Assert.Equal(412, lost.Status);
    }

    [Fact]
    public async Task Anything_but_a_lost_race_is_not_retried()
    {
        var attempts = 0;
        await Assert.ThrowsAsync<RequestFailedException>(() => Contention.RetryAsync(() => { attempts++; throw new RequestFailedException(404, "gone"); }, CancellationToken.None));
        Assert.Equal(1, attempts);
        attempts = 0;
        await Contention.RetryAsync(() => { if (++attempts == 1) throw new RequestFailedException(404, "gone"); return Task.CompletedTask; }, CancellationToken.None, alsoLost: true);
        Assert.Equal(2, attempts);
    }
}
