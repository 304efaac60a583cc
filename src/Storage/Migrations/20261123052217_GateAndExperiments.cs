using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Evals.Storage.Migrations
{
    /// <inheritdoc />
    public partial class GateAndExperiments : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "accepted_at",
                table: "models",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "experiments",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false, defaultValueSql: "gen_random_uuid()"),
                    name = table.Column<string>(type: "text", nullable: false),
                    description = table.Column<string>(type: "text", nullable: false),
                    variants = table.Column<string>(type: "jsonb", nullable: false),
                    salt = table.Column<string>(type: "text", nullable: false),
                    stopping_rule = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    horizon = table.Column<int>(type: "integer", nullable: true),
                    alpha = table.Column<double>(type: "double precision", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false, defaultValueSql: "now()")
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_experiments", x => x.id);
                    table.CheckConstraint("ck_experiments_alpha", "alpha > 0 and alpha < 1");
                    table.CheckConstraint("ck_experiments_horizon", "(stopping_rule = 'fixed_horizon') = (horizon is not null) and (horizon is null or horizon > 0)");
                    table.CheckConstraint("ck_experiments_name_not_blank", "btrim(name) <> ''");
                    table.CheckConstraint("ck_experiments_stopping_rule", "stopping_rule in ('fixed_horizon','confidence_sequence')");
                });

            migrationBuilder.CreateIndex(
                name: "ix_models_family_accepted_at",
                table: "models",
                columns: new[] { "family", "accepted_at" });

            migrationBuilder.CreateIndex(
                name: "ix_experiments_name",
                table: "experiments",
                column: "name",
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "experiments");

            migrationBuilder.DropIndex(
                name: "ix_models_family_accepted_at",
                table: "models");

            migrationBuilder.DropColumn(
                name: "accepted_at",
                table: "models");
        }
    }
}
