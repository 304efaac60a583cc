using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Evals.Storage.Migrations
{
    /// <summary>
    /// Remote endpoints' <c>rpm</c> and <c>max_concurrency</c> shared by every node (the runner's <c>EndpointBudgets</c>):
    /// the next moment a call may go per endpoint, and numbered concurrency leases that expire, so a killed worker's
    /// slots come back. Not mapped in the EF model: only SQL reads and writes them.
    /// </summary>
    [DbContext(typeof(EvalsDbContext))]
    [Migration("20261203021500_EndpointBudgets")]
    public partial class EndpointBudgets : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                create table endpoint_rate_turns (
                    endpoint text not null constraint pk_endpoint_rate_turns primary key,
                    next_turn timestamp with time zone not null);

                create table endpoint_leases (
                    endpoint text not null,
                    slot integer not null,
                    holder uuid not null,
                    expires_at timestamp with time zone not null,
                    constraint pk_endpoint_leases primary key (endpoint, slot),
                    constraint ck_endpoint_leases_slot check (slot >= 0));
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("drop table endpoint_leases; drop table endpoint_rate_turns;");
        }
    }
}
