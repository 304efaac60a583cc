using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Evals.Storage.Migrations
{
    /// <inheritdoc />
    public partial class ArenaFollowUps : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "arena_follow_ups",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    battle_id = table.Column<Guid>(type: "uuid", nullable: false),
                    turn = table.Column<int>(type: "integer", nullable: false),
                    prompt = table.Column<string>(type: "text", nullable: false),
                    answer_a = table.Column<string>(type: "text", nullable: false),
                    answer_b = table.Column<string>(type: "text", nullable: false),
                    answer_a_finished_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    answer_b_finished_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false, defaultValueSql: "now()")
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_arena_follow_ups", x => x.id);
                    table.CheckConstraint("ck_arena_follow_ups_prompt_not_blank", "btrim(prompt) <> ''");
                    table.CheckConstraint("ck_arena_follow_ups_turn", "turn >= 2");
                    table.ForeignKey(
                        name: "fk_arena_follow_ups_arena_battles_battle_id",
                        column: x => x.battle_id,
                        principalTable: "arena_battles",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_arena_follow_ups_battle_id_turn",
                table: "arena_follow_ups",
                columns: new[] { "battle_id", "turn" },
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "arena_follow_ups");
        }
    }
}
