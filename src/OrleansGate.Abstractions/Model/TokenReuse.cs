namespace OrleansGate.Model;

/// <summary>How often one token (by its <c>jti</c>) may open a session, cluster-wide; chosen per issuer.</summary>
[GenerateSerializer]
public enum TokenReuse
{
    /// <summary>Any number of sessions, as long as the token is valid (the default: clients such as pools open many).</summary>
    Allowed = 0,

    /// <summary>At most one live session per token; another may open once that one has ended.</summary>
    OneSessionAtATime = 1,

    /// <summary>One login per token, ever: a replayed token is refused even after its first session ended.</summary>
    SingleUse = 2,
}
