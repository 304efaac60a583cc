using Evals.Storage.Schema;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Evals.Storage.Migrations
{
    /// <inheritdoc />
    public partial class QuartzTables : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // Quartz's clustered job store lives in the same database; its script only creates what is missing.
            foreach (var statement in QuartzSchema.Statements())
                migrationBuilder.Sql(statement);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            foreach (var table in new[] { "fired_triggers", "paused_trigger_grps", "scheduler_state", "locks", "simple_triggers", "cron_triggers",
                         "simprop_triggers", "blob_triggers", "triggers", "job_details", "calendars", "execution_history", "misfire_history", "job_status" })
                migrationBuilder.Sql($"DROP TABLE IF EXISTS {QuartzSchema.TablePrefix}{table} CASCADE");
        }
    }
}
