using OrleansGate.Policy.Classification;

namespace OrleansGate.Policy.Tests;

public sealed class StatementRulesTests
{
    // Every statement node of PostgreSQL 15's raw parse tree (pg_query.proto, Node oneof), apart from
    // RawStmt (the container) and SetOperationStmt (only in analyzed trees).
    private static readonly string[] ParserStatementNodes =
    [
        "InsertStmt", "DeleteStmt", "UpdateStmt", "MergeStmt", "SelectStmt", "ReturnStmt", "PLAssignStmt",
        "AlterTableStmt", "AlterDomainStmt", "GrantStmt", "GrantRoleStmt", "AlterDefaultPrivilegesStmt",
        "ClosePortalStmt", "ClusterStmt", "CopyStmt", "CreateStmt", "DefineStmt", "DropStmt", "TruncateStmt",
        "CommentStmt", "FetchStmt", "IndexStmt", "CreateFunctionStmt", "AlterFunctionStmt", "DoStmt", "RenameStmt",
        "RuleStmt", "NotifyStmt", "ListenStmt", "UnlistenStmt", "TransactionStmt", "ViewStmt", "LoadStmt",
        "CreateDomainStmt", "CreatedbStmt", "DropdbStmt", "VacuumStmt", "ExplainStmt", "CreateTableAsStmt",
        "CreateSeqStmt", "AlterSeqStmt", "VariableSetStmt", "VariableShowStmt", "DiscardStmt", "CreateTrigStmt",
        "CreatePLangStmt", "CreateRoleStmt", "AlterRoleStmt", "DropRoleStmt", "LockStmt", "ConstraintsSetStmt",
        "ReindexStmt", "CheckPointStmt", "CreateSchemaStmt", "AlterDatabaseStmt", "AlterDatabaseRefreshCollStmt",
        "AlterDatabaseSetStmt", "AlterRoleSetStmt", "CreateConversionStmt", "CreateCastStmt", "CreateOpClassStmt",
        "CreateOpFamilyStmt", "AlterOpFamilyStmt", "PrepareStmt", "ExecuteStmt", "DeallocateStmt",
        "DeclareCursorStmt", "CreateTableSpaceStmt", "DropTableSpaceStmt", "AlterObjectDependsStmt",
        "AlterObjectSchemaStmt", "AlterOwnerStmt", "AlterOperatorStmt", "AlterTypeStmt", "DropOwnedStmt",
        "ReassignOwnedStmt", "CompositeTypeStmt", "CreateEnumStmt", "CreateRangeStmt", "AlterEnumStmt",
        "AlterTSDictionaryStmt", "AlterTSConfigurationStmt", "CreateFdwStmt", "AlterFdwStmt",
        "CreateForeignServerStmt", "AlterForeignServerStmt", "CreateUserMappingStmt", "AlterUserMappingStmt",
        "DropUserMappingStmt", "AlterTableSpaceOptionsStmt", "AlterTableMoveAllStmt", "SecLabelStmt",
        "CreateForeignTableStmt", "ImportForeignSchemaStmt", "CreateExtensionStmt", "AlterExtensionStmt",
        "AlterExtensionContentsStmt", "CreateEventTrigStmt", "AlterEventTrigStmt", "RefreshMatViewStmt",
        "ReplicaIdentityStmt", "AlterSystemStmt", "CreatePolicyStmt", "AlterPolicyStmt", "CreateTransformStmt",
        "CreateAmStmt", "CreatePublicationStmt", "AlterPublicationStmt", "CreateSubscriptionStmt",
        "AlterSubscriptionStmt", "DropSubscriptionStmt", "CreateStatsStmt", "AlterCollationStmt", "CallStmt",
        "AlterStatsStmt",
    ];

    [Fact]
    public void Every_statement_node_of_the_parser_has_a_rule()
    {
        var missing = ParserStatementNodes
            .Where(node => !StatementRules.Kinds.ContainsKey(node) && !StatementRules.Special.Contains(node))
            .ToArray();

        Assert.Empty(missing);
    }

    [Fact]
    public void Only_reading_statements_are_plain_reads()
    {
        var reads = StatementRules.Kinds.Where(rule => rule.Value == StatementKind.Read).Select(rule => rule.Key);

        Assert.Equal(["DeclareCursorStmt", "FetchStmt", "ReturnStmt", "VariableShowStmt"], reads.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Dangerous_group_names_are_the_documented_ones() =>
        Assert.Equal(
            ["admin", "config", "dblink", "dynamic_sql", "file_access", "large_objects", "non_builtin", "program", "signal"],
            DangerousFunctionGroups.All.Order(StringComparer.Ordinal));
}
