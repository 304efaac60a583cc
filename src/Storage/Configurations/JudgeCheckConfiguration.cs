using Evals.Storage.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Evals.Storage.Configurations;

public sealed class JudgeCheckConfiguration : IEntityTypeConfiguration<JudgeCheck>
{
    public void Configure(EntityTypeBuilder<JudgeCheck> b)
    {
        b.ToTable("judge_checks", t =>
        {
            t.HasCheckConstraint("ck_judge_checks_counts", "items >= 0 and unjudged >= 0");
            t.HasCheckConstraint("ck_judge_checks_kappa", "kappa is null or (kappa >= -1 and kappa <= 1)");
            // A check passes only with a defined measure at or above its threshold: kappa, or Spearman's rho for single grading.
            t.HasCheckConstraint("ck_judge_checks_passed",
                "not passed or (case when mode = 'single' then spearman is not null and spearman >= min_kappa else kappa is not null and kappa >= min_kappa end)");
            t.HasCheckConstraint("ck_judge_checks_mode", "mode in ('hallucination', 'pairwise', 'single')");
            t.HasCheckConstraint("ck_judge_checks_rank_correlations",
                "(spearman is null or (spearman >= -1 and spearman <= 1)) and (kendall_tau_b is null or (kendall_tau_b >= -1 and kendall_tau_b <= 1))");
            t.HasCheckConstraint("ck_judge_checks_position_bias", "position_bias_rate is null or (position_bias_rate >= 0 and position_bias_rate <= 100)");
        });
        b.Property(c => c.Id).HasDefaultValueSql("gen_random_uuid()");
        b.Property(c => c.PromptVersion).HasMaxLength(64);
        b.Property(c => c.LabelsSha256).HasMaxLength(64);
        // Checks stored before modes existed were all hallucination checks.
        b.Property(c => c.Mode).HasMaxLength(16).HasDefaultValue(JudgeCheck.Modes.Hallucination);
        b.Property(c => c.CheckedAt).HasDefaultValueSql("now()");
        // The latest check of a judge is what a run consults.
        b.HasIndex(c => new { c.JudgeIdentity, c.PromptVersion, c.Mode, c.CheckedAt });
    }
}
