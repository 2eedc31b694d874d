using LlamaOrleans.Grains;

namespace LlamaOrleans.Tests.Grains;

public class CacheReuseTests
{
    private static readonly int[] System = [1, 10, 11, 12];
    private static readonly int[] Dropped = [20, 21, 22, 23, 24, 25];
    private static readonly int[] Kept = [1, 30, 31, 32, 33, 34, 35, 36, 37, 38];

    [Fact]
    public void Without_shift_the_common_prefix_is_reused()
    {
        int[] cached = [.. System, .. Dropped, .. Kept];
        int[] prompt = [.. System, .. Kept, 50, 51];

        Assert.Equal((0, 0, System.Length), CacheReuse.Plan(cached, prompt, shift: false));
    }

    [Fact]
    public void Trimmed_turns_are_dropped_and_the_kept_run_is_shifted_down()
    {
        int[] cached = [.. System, .. Dropped, .. Kept];
        int[] prompt = [.. System, .. Kept, 50, 51];

        var (from, count, reuse) = CacheReuse.Plan(cached, prompt, shift: true);

        Assert.Equal((System.Length, Dropped.Length, System.Length + Kept.Length), (from, count, reuse));
        // The edited cache is exactly the prompt's first `reuse` tokens.
        int[] edited = [.. cached[..from], .. cached[(from + count)..]];
        Assert.Equal(prompt[..reuse], edited[..reuse]);
    }

    [Fact]
    public void A_plain_continuation_needs_no_shift()
    {
        int[] cached = [.. System, .. Kept];
        int[] prompt = [.. System, .. Kept, 50];

        Assert.Equal((0, 0, cached.Length), CacheReuse.Plan(cached, prompt, shift: true));
    }

    [Fact]
    public void Short_matches_are_recomputed_rather_than_shifted()
    {
        int[] cached = [.. System, .. Dropped, 30, 31, 32];
        int[] prompt = [.. System, 30, 31, 32, 60, 61];

        Assert.Equal((0, 0, System.Length), CacheReuse.Plan(cached, prompt, shift: true));
    }

    [Fact]
    public void An_empty_cache_reuses_nothing()
    {
        Assert.Equal((0, 0, 0), CacheReuse.Plan([], [1, 2, 3], shift: true));
    }
}
