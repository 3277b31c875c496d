using OrleansGate.Policy.Classification;
using OrleansGate.Policy.Evaluation;
using OrleansGate.Policy.Loading;
using OrleansGate.Policy.Model;
using static OrleansGate.Policy.Tests.Classifiers;

namespace OrleansGate.Policy.Tests;

/// <summary>
/// Statements that would change client_encoding or standard_conforming_strings carry a gateway refusal that no
/// policy overrides; the forms that return to the session's (pinned) startup values do not.
/// </summary>
public sealed class LexicalSettingsGuardTests
{
    private const string AllowEverything = "rules:\n  - name: all\n    effect: allow\n    reason: x\n    match: { kinds: [read, write, ddl, privilege, role_change, procedural, transaction, admin, session, lock], function_groups: [config] }\n";

    public static TheoryData<string> Guarded { get; } =
    [
        "SET client_encoding = 'SJIS'",
        "SET client_encoding TO 'UTF8'",
        "SET NAMES 'BIG5'",
        "SET LOCAL client_encoding TO 'GBK'",
        "SET SESSION client_encoding = 'GB18030'",
        "SET \"Client_Encoding\" = 'JOHAB'",
        "SET standard_conforming_strings = off",
        "SET LOCAL standard_conforming_strings TO 'off'",
        "SELECT set_config('client_encoding', 'SJIS', false)",
        "SELECT pg_catalog.set_config('STANDARD_CONFORMING_STRINGS', 'off', true)",
        "SELECT set_config('client_encoding'::text, 'SJIS', false)",
        "SELECT set_config(current_setting('my.name'), 'SJIS', false)",
        "SELECT set_config($1, $2, false)",
        "SELECT set_config(name, 'x', false) FROM pg_settings",
        "UPDATE pg_settings SET setting = 'SJIS' WHERE name = 'client_encoding'",
        "SELECT 1; SET NAMES 'UHC'; SELECT 2",
        "WITH s AS (SELECT set_config('client_encoding', 'SJIS', false)) SELECT * FROM s",
    ];

    public static TheoryData<string> NotGuarded { get; } =
    [
        "RESET client_encoding",
        "RESET standard_conforming_strings",
        "SET client_encoding TO DEFAULT",
        "SET NAMES DEFAULT",
        "RESET ALL",
        "DISCARD ALL",
        "SHOW client_encoding",
        "SELECT current_setting('standard_conforming_strings')",
        "SET search_path = public",
        "SELECT set_config('search_path', 'public', false)",
        "SELECT 'SET client_encoding = ''SJIS'''",
    ];

    [Theory]
    [MemberData(nameof(Guarded))]
    public void Statement_changing_how_the_target_reads_text_is_refused_under_a_policy_allowing_everything(string sql)
    {
        var (classification, decision) = ClassifyAndDecide(sql);

        Assert.NotNull(classification.GuardRefusal);
        Assert.Equal(PolicyEffect.Deny, decision.Effect);
        Assert.Equal(LexicalSettings.GuardRule, decision.Rule);
        Assert.Contains("client_encoding", decision.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(NotGuarded))]
    public void Statement_returning_to_the_startup_values_or_touching_other_settings_is_left_to_the_policy(string sql)
    {
        var (classification, decision) = ClassifyAndDecide(sql);

        Assert.Null(classification.GuardRefusal);
        Assert.Equal(PolicyEffect.Allow, decision.Effect);
    }

    /// <summary>Classifies under a policy that allows every kind and the config group, so only the guard can refuse.</summary>
    private static (StatementClassification Classification, PolicyDecision Decision) ClassifyAndDecide(string sql)
    {
        var classification = Classify(sql);
        Assert.True(classification.Parsed, classification.ParseError);
        return (classification, PolicyEvaluator.Decide(PolicyLoader.Load(AllowEverything, "t.yaml"), PolicyTestPolicies.Agent, "demo", classification));
    }

    [Fact]
    public void Set_config_of_another_setting_does_not_lend_its_cached_classification_to_client_encoding()
    {
        var classifier = new SqlClassifier();

        Assert.Null(classifier.Classify("SELECT set_config('search_path', 'public', false)").GuardRefusal);
        Assert.NotNull(classifier.Classify("SELECT set_config('client_encoding', 'public', false)").GuardRefusal);
        Assert.Null(classifier.Classify("SELECT set_config('search_path', 'public', false)").GuardRefusal);
    }

    [Theory]
    [InlineData("UTF8", true)]
    [InlineData("utf-8", true)]
    [InlineData("Unicode", true)]
    [InlineData("SJIS", false)]
    [InlineData("UTF_8", false)]
    [InlineData("", false)]
    public void Only_utf8_spellings_are_accepted_as_the_client_encoding(string value, bool accepted) =>
        Assert.Equal(accepted, LexicalSettings.IsUtf8(value));

    [Theory]
    [InlineData("client_encoding", "UTF8", false)]
    [InlineData("client_encoding", "SJIS", true)]
    [InlineData("standard_conforming_strings", "on", false)]
    [InlineData("standard_conforming_strings", "off", true)]
    [InlineData("search_path", "evil", false)]
    public void Reported_settings_other_than_utf8_and_on_end_the_session(string name, string value, bool ends) =>
        Assert.Equal(ends, LexicalSettings.CheckReported(name, value) is not null);
}
