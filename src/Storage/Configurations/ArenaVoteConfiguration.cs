using Evals.Storage.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Evals.Storage.Configurations;

public sealed class ArenaVoteConfiguration : IEntityTypeConfiguration<ArenaVote>
{
    public void Configure(EntityTypeBuilder<ArenaVote> b)
    {
        b.ToTable("arena_votes", t =>
        {
            t.HasCheckConstraint("ck_arena_votes_winner", "winner in ('model_a','model_b','tie','tie (bothbad)')");
            t.HasCheckConstraint("ck_arena_votes_visitor_hash", "visitor_hash ~ '^[0-9a-f]{64}$'");
            t.HasCheckConstraint("ck_arena_votes_exclusion", "(excluded_reason is null) = (excluded_at is null) and (excluded_reason is null or btrim(excluded_reason) <> '')");
        });
        b.Property(x => x.Id).HasDefaultValueSql("gen_random_uuid()");
        b.Property(x => x.Winner).HasMaxLength(16);
        b.Property(x => x.VisitorHash).HasMaxLength(64);
        // One vote per battle, whatever races the page and the API run.
        b.HasIndex(x => x.BattleId).IsUnique();
        b.HasIndex(x => x.VotedAt);
    }
}
