namespace Evals.Benchmarks.Ratings;

/// <summary>One vote with who cast it.</summary>
public sealed record VoterBattle(string Voter, Battle Battle);

/// <summary>Settings of <see cref="OutlierVoters"/>.</summary>
/// <param name="MinVotes">Decisive votes (not ties, both models rated) a voter needs before being judged.</param>
/// <param name="ZThreshold">A voter is flagged when its votes' log-likelihood is this many standard deviations below
/// what the ratings expect (3: about 1 honest voter in 740 by chance).</param>
public sealed record OutlierVoterOptions(int MinVotes = 20, double ZThreshold = 3, double Scale = 400, double Base = 10);

/// <summary>How well one voter's votes agree with the ratings.</summary>
/// <param name="Votes">All the voter's votes.</param>
/// <param name="Decisive">Votes for one side between two rated models: the votes judged.</param>
/// <param name="MeanLogLikelihood">Mean ln P(the side voted for) under the ratings, over the decisive votes.</param>
/// <param name="ExpectedMeanLogLikelihood">What that mean is expected to be if the voter votes as the ratings predict.</param>
/// <param name="Agreement">Share of decisive votes for the higher-rated model.</param>
/// <param name="ExpectedAgreement">That share expected under the ratings.</param>
/// <param name="Z">(observed − expected) summed log-likelihood over its standard deviation under the ratings; negative
/// is worse agreement than expected. NaN when the voter has no decisive votes.</param>
/// <param name="Flagged">At least <see cref="OutlierVoterOptions.MinVotes"/> decisive votes and <see cref="Z"/> at or
/// below −<see cref="OutlierVoterOptions.ZThreshold"/>.</param>
public sealed record VoterAgreement(string Voter, int Votes, int Decisive, double MeanLogLikelihood, double ExpectedMeanLogLikelihood,
    double Agreement, double ExpectedAgreement, double Z, bool Flagged);

/// <summary>
/// Voters whose votes the leaderboard finds improbable. The idea is FastChat's anomalous-user check (Chatbot Arena
/// compares each user's votes with what the ratings predict): under Bradley–Terry ratings a vote for a over b has
/// probability p = 1 / (1 + Base^((R_b − R_a) / Scale)), so an honest voter's log-likelihood per decisive vote has mean
/// p ln p + (1 − p) ln(1 − p) and variance p (1 − p) (ln p − ln(1 − p))²; the sum over a voter's votes is compared with
/// its expectation as a z-score. A contrarian (or a bot voting for one model whatever the answers) lands far below;
/// a voter who simply disagrees now and then does not. Ties carry no direction and are not judged.
/// </summary>
public static class OutlierVoters
{
    /// <summary>Every voter, worst agreement (lowest <see cref="VoterAgreement.Z"/>) first.</summary>
    public static IReadOnlyList<VoterAgreement> Analyse(IEnumerable<VoterBattle> votes, IReadOnlyDictionary<string, double> ratings, OutlierVoterOptions? options = null)
    {
        options ??= new OutlierVoterOptions();
        var perVoter = new Dictionary<string, Tally>(StringComparer.Ordinal);
        foreach (var (voter, battle) in votes)
        {
            if (!perVoter.TryGetValue(voter, out var tally)) perVoter[voter] = tally = new Tally();
            tally.Votes++;
            if (battle.Winner is not (BattleWinner.ModelA or BattleWinner.ModelB)) continue;
            if (!ratings.TryGetValue(battle.ModelA, out var a) || !ratings.TryGetValue(battle.ModelB, out var b) || battle.ModelA == battle.ModelB) continue;
            var pA = 1 / (1 + Math.Pow(options.Base, (b - a) / options.Scale));
            var p = battle.Winner == BattleWinner.ModelA ? pA : 1 - pA; // the chance of the side voted for
            var q = 1 - p;
            var lnP = Math.Log(p);
            var lnQ = Math.Log(q);
            tally.Decisive++;
            tally.LogLikelihood += lnP;
            tally.Expected += p * lnP + q * lnQ;
            tally.Variance += p * q * (lnP - lnQ) * (lnP - lnQ);
            // Between equal ratings neither side is the favourite: half an agreement, as expected.
            tally.Agreed += a == b ? 0.5 : (battle.Winner == BattleWinner.ModelA) == (a > b) ? 1 : 0;
            tally.ExpectedAgreed += Math.Max(pA, 1 - pA);
        }
        return perVoter.Select(pair =>
            {
                var t = pair.Value;
                var z = t.Decisive == 0 ? double.NaN : t.Variance > 0 ? (t.LogLikelihood - t.Expected) / Math.Sqrt(t.Variance) : 0;
                return new VoterAgreement(pair.Key, t.Votes, t.Decisive,
                    t.Decisive == 0 ? double.NaN : t.LogLikelihood / t.Decisive, t.Decisive == 0 ? double.NaN : t.Expected / t.Decisive,
                    t.Decisive == 0 ? double.NaN : t.Agreed / t.Decisive, t.Decisive == 0 ? double.NaN : t.ExpectedAgreed / t.Decisive,
                    z, t.Decisive >= options.MinVotes && z <= -options.ZThreshold);
            })
            .OrderBy(v => double.IsNaN(v.Z) ? double.PositiveInfinity : v.Z).ThenBy(v => v.Voter, StringComparer.Ordinal)
            .ToList();
    }

    private sealed class Tally
    {
        public int Votes;
        public int Decisive;
        public double LogLikelihood;
        public double Expected;
        public double Variance;
        public double Agreed;
        public double ExpectedAgreed;
    }
}
