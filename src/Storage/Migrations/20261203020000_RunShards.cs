using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Evals.Storage.Migrations
{
    /// <summary>
    /// A run's shards: contiguous ranges of its ordered (task, item) list, each executed by its own Quartz job on any
    /// worker. <c>finished_at</c> marks a shard whose every item is stored; the run ends when the last one is marked,
    /// under a lock on the run's row (<c>RunShards.TryFinishAsync</c>), so that it ends exactly once. <c>worker_id</c>
    /// and <c>attempts</c> say which node executed the shard last and how often it was started. Not mapped in the EF
    /// model: only SQL reads it.
    /// </summary>
    [DbContext(typeof(EvalsDbContext))]
    [Migration("20261203020000_RunShards")]
    public partial class RunShards : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                create table run_shards (
                    run_id uuid not null references runs(id) on delete cascade,
                    shard integer not null,
                    first_item integer not null,
                    item_count integer not null,
                    worker_id text,
                    attempts integer not null default 0,
                    started_at timestamptz,
                    finished_at timestamptz,
                    constraint pk_run_shards primary key (run_id, shard),
                    constraint ck_run_shards_range check (first_item >= 0 and item_count > 0));
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("drop table run_shards;");
        }
    }
}
