namespace OrleansGate.Policy.Model;

/// <summary>
/// Which requests a rule can decide, from the keys of its match. A rule decides requests of one protocol, or of every
/// protocol when its match names only who asks and which targets (issuers, subjects, groups, claims, targets).
/// </summary>
public enum RuleProtocol
{
    /// <summary>Identity and target keys only: SQL statements, Kubernetes requests and HTTP requests alike; for SSH command lines only as a deny or approve (an allow without an <c>ssh:</c> match allows no command line).</summary>
    Any = 0,

    /// <summary>Statement keys (kinds, relations, functions, function_groups, unbounded_write): SQL statements only.</summary>
    Sql = 1,

    /// <summary>A <c>kubernetes:</c> match: requests to targets of kind kubernetes only.</summary>
    Kubernetes = 2,

    /// <summary>An <c>http:</c> match: requests to targets of kind http only.</summary>
    Http = 3,

    /// <summary>An <c>ssh:</c> match: command lines sent to targets of kind ssh only.</summary>
    Ssh = 4,
}
