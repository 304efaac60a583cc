using Evals.Benchmarks.Ratings;

namespace Evals.Benchmarks.Tests.Ratings;

public class OutlierVotersTests
{
    private static readonly string[] Models = ["m0", "m1", "m2", "m3", "m4", "m5", "m6", "m7"];
    private static readonly double[] TrueRatings = [1250, 1200, 1150, 1100, 1050, 1000, 950, 900];

    /// <summary>
    /// 60 honest voters vote as Bradley–Terry with the true ratings says (10% ties); one contrarian always picks the
    /// lower-rated model, one voter flips a coin. The ratings are then fitted on all their votes, as the site does.
    /// </summary>
    private static List<VoterBattle> Simulate(int seed, int votesEach)
    {
        var random = new Random(seed);
        var votes = new List<VoterBattle>();
        void Vote(string voter, Func<int, int, double, BattleWinner> choose)
        {
            for (var n = 0; n < votesEach; n++)
            {
                var i = random.Next(Models.Length);
                var j = (i + 1 + random.Next(Models.Length - 1)) % Models.Length;
                var pI = 1 / (1 + Math.Pow(10, (TrueRatings[j] - TrueRatings[i]) / 400));
                votes.Add(new VoterBattle(voter, new Battle(Models[i], Models[j], choose(i, j, pI))));
            }
        }
        for (var v = 0; v < 60; v++)
            Vote($"honest-{v:00}", (_, _, p) => random.NextDouble() < 0.1 ? BattleWinner.Tie : random.NextDouble() < p ? BattleWinner.ModelA : BattleWinner.ModelB);
        Vote("contrarian", (i, j, _) => TrueRatings[i] < TrueRatings[j] ? BattleWinner.ModelA : BattleWinner.ModelB);
        Vote("coin", (_, _, _) => random.Next(2) == 0 ? BattleWinner.ModelA : BattleWinner.ModelB);
        return votes;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void A_contrarian_voter_is_flagged_and_honest_voters_are_not(int seed)
    {
        var votes = Simulate(seed, votesEach: 60);
        var ratings = BradleyTerry.Fit(votes.Select(v => v.Battle).ToList()).Ratings.ToDictionary();
        var analysis = OutlierVoters.Analyse(votes, ratings);

        Assert.Equal(62, analysis.Count);
        Assert.Equal("contrarian", analysis[0].Voter); // the worst agreement comes first
        Assert.True(analysis[0].Flagged);
        Assert.True(analysis[0].Z < -8, $"contrarian z = {analysis[0].Z}");
        Assert.Equal(0, analysis[0].Agreement);
        Assert.True(analysis[0].ExpectedAgreement > 0.6);
        Assert.Equal(["contrarian"], analysis.Where(v => v.Flagged && v.Voter != "coin").Select(v => v.Voter));
        foreach (var honest in analysis.Where(v => v.Voter.StartsWith("honest-", StringComparison.Ordinal)))
        {
            Assert.True(honest.Z > -3, $"{honest.Voter}: z = {honest.Z}");
            Assert.InRange(honest.Decisive, 40, 60);
        }
        // A coin-flipper agrees about half the time where the ratings expect about two thirds: lower than honest voters.
        var coin = analysis.Single(v => v.Voter == "coin");
        Assert.True(coin.Z < analysis.Where(v => v.Voter.StartsWith("honest-", StringComparison.Ordinal)).Average(v => v.Z));
    }

    [Fact]
    public void Voters_with_few_votes_ties_or_unrated_models_are_judged_only_on_what_counts()
    {
        var ratings = new Dictionary<string, double> { ["a"] = 1200, ["b"] = 1000 };
        var p = 1 / (1 + Math.Pow(10, -200.0 / 400)); // P(a beats b)
        List<VoterBattle> votes =
        [
            .. Enumerable.Repeat(new VoterBattle("few", new Battle("a", "b", BattleWinner.ModelB)), 5),
            new("ties", new Battle("a", "b", BattleWinner.Tie)),
            new("ties", new Battle("b", "a", BattleWinner.TieBothBad)),
            new("ties", new Battle("a", "new-model", BattleWinner.ModelA)),
        ];
        var analysis = OutlierVoters.Analyse(votes, ratings, new OutlierVoterOptions(MinVotes: 6));

        var few = analysis.Single(v => v.Voter == "few");
        Assert.Equal(5, few.Decisive);
        Assert.Equal(Math.Log(1 - p), few.MeanLogLikelihood, 12);
        Assert.Equal(p * Math.Log(p) + (1 - p) * Math.Log(1 - p), few.ExpectedMeanLogLikelihood, 12);
        var z = 5 * (Math.Log(1 - p) - few.ExpectedMeanLogLikelihood) / Math.Sqrt(5 * p * (1 - p) * Math.Pow(Math.Log(p) - Math.Log(1 - p), 2));
        Assert.Equal(z, few.Z, 12);
        Assert.True(z < -3);
        Assert.False(few.Flagged); // 5 decisive votes: below MinVotes

        var ties = analysis.Single(v => v.Voter == "ties");
        Assert.Equal((3, 0), (ties.Votes, ties.Decisive));
        Assert.True(double.IsNaN(ties.Z));
        Assert.False(ties.Flagged);
        Assert.Equal("ties", analysis[^1].Voter); // unjudged voters come last
    }
}
