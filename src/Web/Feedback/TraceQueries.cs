using Evals.Storage;
using Microsoft.EntityFrameworkCore;

namespace Evals.Web.Feedback;

public sealed record TraceRow(long Id, string EventId, string TraceId, string Model, string? Variant, string Input, string Output,
    string? RatingScale, short? Rating, string? Comment, string[] Tags, DateTimeOffset OccurredAt, IReadOnlyList<string> Flags, IReadOnlyList<string> PromotedTo);

/// <summary>Low-rated traces for the admin page (user text: admin only), newest first, with the checks that flagged them.</summary>
public sealed class TraceQueries(IDbContextFactory<EvalsDbContext> dbFactory)
{
    public async Task<IReadOnlyList<TraceRow>> LowRatedAsync(string? model, int take = 100, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var query = db.Feedback.AsNoTracking().Where(f => f.Positive == false);
        if (!string.IsNullOrWhiteSpace(model)) query = query.Where(f => f.Model == model);
        var rows = await query.OrderByDescending(f => f.OccurredAt).ThenByDescending(f => f.Id).Take(take)
            .Select(f => new
            {
                f.Id, f.EventId, f.TraceId, f.Model, f.Variant, f.Input, f.Output, f.RatingScale, f.Rating, f.Comment, f.Tags, f.OccurredAt,
                Flags = db.FeedbackChecks.Where(c => c.FeedbackId == f.Id && c.Outcome == "flagged").Select(c => c.Kind).ToList(),
                Promoted = db.RegressionItems.Where(r => r.FeedbackId == f.Id).Select(r => r.Suite).ToList(),
            }).ToListAsync(cancellationToken);
        return rows.Select(r => new TraceRow(r.Id, r.EventId, r.TraceId, r.Model, r.Variant, r.Input, r.Output, r.RatingScale, r.Rating, r.Comment, r.Tags,
            r.OccurredAt, r.Flags, r.Promoted)).ToList();
    }
}
