using Evals.Storage.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Evals.Storage.Configurations;

public sealed class FeedbackEventConfiguration : IEntityTypeConfiguration<FeedbackEvent>
{
    public void Configure(EntityTypeBuilder<FeedbackEvent> b)
    {
        b.ToTable("feedback_events", t =>
        {
            t.HasCheckConstraint("ck_feedback_events_event_id", "btrim(event_id) <> ''");
            t.HasCheckConstraint("ck_feedback_events_model", "btrim(model) <> ''");
            t.HasCheckConstraint("ck_feedback_events_rating",
                "(rating_scale = 'thumbs' and rating in (0, 1) and positive = (rating = 1)) or (rating_scale = 'stars' and rating between 1 and 5 and positive = (rating >= 4))"
                + " or (rating_scale is null and rating is null and positive is null)");
            t.HasCheckConstraint("ck_feedback_events_usage", "(input_tokens is null or input_tokens >= 0) and (output_tokens is null or output_tokens >= 0) and (latency_ms is null or latency_ms >= 0)");
            t.HasCheckConstraint("ck_feedback_events_variant", "(experiment_id is null) = (variant is null)");
        });
        b.Property(e => e.Id).UseIdentityAlwaysColumn();
        // The idempotency key, per sending key: a batch inserts with ON CONFLICT (api_key_id, event_id) DO NOTHING, so one
        // client's ids can neither pre-empt nor be pre-empted by another's.
        b.HasIndex(e => new { e.ApiKeyId, e.EventId }).IsUnique();
        b.Property(e => e.EventId).HasMaxLength(128);
        b.Property(e => e.TraceId).HasMaxLength(128);
        b.Property(e => e.Model).HasMaxLength(200);
        b.Property(e => e.Variant).HasMaxLength(100);
        b.Property(e => e.RatingScale).HasMaxLength(8);
        b.Property(e => e.UserId).HasMaxLength(128);
        b.Property(e => e.SessionId).HasMaxLength(128);
        b.Property(e => e.ReceivedAt).HasDefaultValueSql("now()");
        b.HasOne<Experiment>().WithMany().HasForeignKey(e => e.ExperimentId).OnDelete(DeleteBehavior.Restrict);
        b.HasOne<ApiKey>().WithMany().HasForeignKey(e => e.ApiKeyId).OnDelete(DeleteBehavior.Restrict);
        // Dashboards group by model (and experiment) over time windows.
        b.HasIndex(e => new { e.Model, e.OccurredAt });
        b.HasIndex(e => new { e.ExperimentId, e.Variant });
        b.HasIndex(e => e.OccurredAt);
        // A rating sent later names a span's trace: /api/feedback finds the trace's unrated span by (key, trace id).
        b.HasIndex(e => new { e.ApiKeyId, e.TraceId });
    }
}
