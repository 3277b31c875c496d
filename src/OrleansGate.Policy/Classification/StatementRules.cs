using System.Collections.Frozen;
using K = OrleansGate.Model.StatementKind;

namespace OrleansGate.Policy.Classification;

/// <summary>
/// Kinds of the PostgreSQL 15 statement nodes that need no closer look, and which fields of a statement
/// hold the relations it changes. Statements with special rules (SELECT, DML, COPY, EXPLAIN, SET, DROP,
/// ALTER TABLE, transactions…) are handled in <see cref="ParseTreeWalker"/>; a node type in neither
/// place classifies as <see cref="StatementKind.Other"/>.
/// </summary>
internal static class StatementRules
{
    public static FrozenDictionary<string, StatementKind> Kinds { get; } = new Dictionary<string, StatementKind>
    {
        ["VariableShowStmt"] = K.Read,
        ["FetchStmt"] = K.Read,
        ["DeclareCursorStmt"] = K.Read,
        ["ReturnStmt"] = K.Read,

        ["TruncateStmt"] = K.Write,
        ["NotifyStmt"] = K.Write,
        ["RefreshMatViewStmt"] = K.Write,

        ["CreateStmt"] = K.Ddl,
        ["DefineStmt"] = K.Ddl,
        ["CommentStmt"] = K.Ddl,
        ["IndexStmt"] = K.Ddl,
        ["AlterFunctionStmt"] = K.Ddl,
        ["AlterDomainStmt"] = K.Ddl,
        ["RenameStmt"] = K.Ddl,
        ["RuleStmt"] = K.Ddl,
        ["ViewStmt"] = K.Ddl,
        ["CreateDomainStmt"] = K.Ddl,
        ["CreateSeqStmt"] = K.Ddl,
        ["AlterSeqStmt"] = K.Ddl,
        ["CreateTrigStmt"] = K.Ddl,
        ["CreateSchemaStmt"] = K.Ddl,
        ["CreateConversionStmt"] = K.Ddl,
        ["CreateCastStmt"] = K.Ddl,
        ["CreateOpClassStmt"] = K.Ddl,
        ["CreateOpFamilyStmt"] = K.Ddl,
        ["AlterOpFamilyStmt"] = K.Ddl,
        ["AlterObjectDependsStmt"] = K.Ddl,
        ["AlterObjectSchemaStmt"] = K.Ddl,
        ["AlterOperatorStmt"] = K.Ddl,
        ["AlterTypeStmt"] = K.Ddl,
        ["CompositeTypeStmt"] = K.Ddl,
        ["CreateEnumStmt"] = K.Ddl,
        ["CreateRangeStmt"] = K.Ddl,
        ["AlterEnumStmt"] = K.Ddl,
        ["AlterTSDictionaryStmt"] = K.Ddl,
        ["AlterTSConfigurationStmt"] = K.Ddl,
        ["CreateForeignTableStmt"] = K.Ddl,
        ["CreateStatsStmt"] = K.Ddl,
        ["AlterStatsStmt"] = K.Ddl,
        ["AlterCollationStmt"] = K.Ddl,
        ["CreateTransformStmt"] = K.Ddl,
        ["ReplicaIdentityStmt"] = K.Ddl,
        ["CreateFunctionStmt"] = K.Ddl | K.Procedural,

        ["GrantStmt"] = K.Privilege,
        ["GrantRoleStmt"] = K.Privilege,
        ["AlterDefaultPrivilegesStmt"] = K.Privilege,
        ["CreateRoleStmt"] = K.Privilege | K.Admin,
        ["AlterRoleStmt"] = K.Privilege | K.Admin,
        ["AlterRoleSetStmt"] = K.Privilege | K.Admin,
        ["DropRoleStmt"] = K.Privilege | K.Admin,
        ["DropOwnedStmt"] = K.Privilege | K.Ddl,
        ["ReassignOwnedStmt"] = K.Privilege | K.Ddl,
        ["AlterOwnerStmt"] = K.Privilege | K.Ddl,
        ["CreatePolicyStmt"] = K.Privilege | K.Ddl,
        ["AlterPolicyStmt"] = K.Privilege | K.Ddl,
        ["SecLabelStmt"] = K.Privilege | K.Ddl,
        // A user mapping holds the credentials used on a foreign server.
        ["CreateUserMappingStmt"] = K.Privilege | K.Admin,
        ["AlterUserMappingStmt"] = K.Privilege | K.Admin,
        ["DropUserMappingStmt"] = K.Privilege | K.Admin,

        ["DoStmt"] = K.Procedural,
        ["CallStmt"] = K.Procedural,
        ["PrepareStmt"] = K.Procedural,
        ["ExecuteStmt"] = K.Procedural,
        ["PLAssignStmt"] = K.Procedural,

        ["ConstraintsSetStmt"] = K.Transaction,

        ["ClusterStmt"] = K.Admin,
        ["VacuumStmt"] = K.Admin,
        ["ReindexStmt"] = K.Admin,
        ["CheckPointStmt"] = K.Admin,
        ["LoadStmt"] = K.Admin,
        ["AlterSystemStmt"] = K.Admin,
        ["CreatedbStmt"] = K.Ddl | K.Admin,
        ["DropdbStmt"] = K.Ddl | K.Admin,
        ["AlterDatabaseStmt"] = K.Ddl | K.Admin,
        ["AlterDatabaseRefreshCollStmt"] = K.Ddl | K.Admin,
        ["AlterDatabaseSetStmt"] = K.Ddl | K.Admin,
        ["CreateTableSpaceStmt"] = K.Ddl | K.Admin,
        ["DropTableSpaceStmt"] = K.Ddl | K.Admin,
        ["AlterTableSpaceOptionsStmt"] = K.Ddl | K.Admin,
        ["AlterTableMoveAllStmt"] = K.Ddl | K.Admin,
        ["CreatePLangStmt"] = K.Ddl | K.Admin,
        ["CreateFdwStmt"] = K.Ddl | K.Admin,
        ["AlterFdwStmt"] = K.Ddl | K.Admin,
        ["CreateForeignServerStmt"] = K.Ddl | K.Admin,
        ["AlterForeignServerStmt"] = K.Ddl | K.Admin,
        ["ImportForeignSchemaStmt"] = K.Ddl | K.Admin,
        ["CreateExtensionStmt"] = K.Ddl | K.Admin,
        ["AlterExtensionStmt"] = K.Ddl | K.Admin,
        ["AlterExtensionContentsStmt"] = K.Ddl | K.Admin,
        ["CreateEventTrigStmt"] = K.Ddl | K.Admin,
        ["AlterEventTrigStmt"] = K.Ddl | K.Admin,
        ["CreateAmStmt"] = K.Ddl | K.Admin,
        ["CreatePublicationStmt"] = K.Ddl | K.Admin,
        ["AlterPublicationStmt"] = K.Ddl | K.Admin,
        ["CreateSubscriptionStmt"] = K.Ddl | K.Admin,
        ["AlterSubscriptionStmt"] = K.Ddl | K.Admin,
        ["DropSubscriptionStmt"] = K.Ddl | K.Admin,

        ["LockStmt"] = K.Lock,

        ["ListenStmt"] = K.Session,
        ["UnlistenStmt"] = K.Session,
        ["DeallocateStmt"] = K.Session,
        ["ClosePortalStmt"] = K.Session,
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>Statement nodes whose kinds <see cref="ParseTreeWalker"/> works out from their content.</summary>
    public static FrozenSet<string> Special { get; } = new[]
    {
        "SelectStmt", "InsertStmt", "UpdateStmt", "DeleteStmt", "MergeStmt", "CopyStmt", "ExplainStmt",
        "VariableSetStmt", "TransactionStmt", "DiscardStmt", "DropStmt", "AlterTableStmt", "CreateTableAsStmt",
    }.ToFrozenSet(StringComparer.Ordinal);

    /// <summary>Per statement node, the fields whose relations the statement changes (reported as written).</summary>
    public static FrozenDictionary<string, FrozenSet<string>> WriteTargets { get; } = new Dictionary<string, string[]>
    {
        ["InsertStmt"] = ["relation"],
        ["UpdateStmt"] = ["relation"],
        ["DeleteStmt"] = ["relation"],
        ["MergeStmt"] = ["relation"],
        ["TruncateStmt"] = ["relations"],
        ["RefreshMatViewStmt"] = ["relation"],
        ["CreateStmt"] = ["relation"],
        ["CreateForeignTableStmt"] = ["base"],
        ["CreateTableAsStmt"] = ["into"],
        ["AlterTableStmt"] = ["relation"],
        ["IndexStmt"] = ["relation"],
        ["ViewStmt"] = ["view"],
        ["CreateSeqStmt"] = ["sequence"],
        ["AlterSeqStmt"] = ["sequence"],
        ["CreateTrigStmt"] = ["relation"],
        ["RuleStmt"] = ["relation"],
        ["RenameStmt"] = ["relation"],
        ["AlterObjectSchemaStmt"] = ["relation"],
        ["AlterOwnerStmt"] = ["relation"],
        ["CreatePolicyStmt"] = ["table"],
        ["AlterPolicyStmt"] = ["table"],
        ["GrantStmt"] = ["objects"],
        ["ClusterStmt"] = ["relation"],
        ["ReindexStmt"] = ["relation"],
        ["VacuumStmt"] = ["rels"],
    }.ToFrozenDictionary(p => p.Key, p => p.Value.ToFrozenSet(StringComparer.Ordinal), StringComparer.Ordinal);

    /// <summary>DROP of these object types removes a relation (or a trigger, rule or policy on one).</summary>
    public static FrozenSet<string> DroppedRelationTypes { get; } = new[]
    {
        "OBJECT_TABLE", "OBJECT_VIEW", "OBJECT_MATVIEW", "OBJECT_SEQUENCE", "OBJECT_FOREIGN_TABLE", "OBJECT_INDEX",
    }.ToFrozenSet(StringComparer.Ordinal);

    /// <summary>DROP of these object types names the relation first and the object last (DROP TRIGGER t ON s.r).</summary>
    public static FrozenSet<string> DroppedOnRelationTypes { get; } = new[]
    {
        "OBJECT_TRIGGER", "OBJECT_RULE", "OBJECT_POLICY",
    }.ToFrozenSet(StringComparer.Ordinal);
}
