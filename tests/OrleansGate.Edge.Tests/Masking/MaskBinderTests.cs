using OrleansGate.Edge.Masking;
using static OrleansGate.Edge.Tests.Masking.TestMasks;

namespace OrleansGate.Edge.Tests.Masking;

public sealed class MaskBinderTests
{
    private const uint Text = 25;
    private const uint Int4 = 23;
    private const uint Customers = 16384;
    private const uint Orders = 16390;
    private const uint EmailView = 16400;
    private const uint EmailViewView = 16410;
    private const uint WholeView = 16420;
    private const uint CleanView = 16430;

    private static CatalogSnapshot Shop()
    {
        var snapshot = new CatalogSnapshot();
        snapshot.AddRelation(Customers, "public", "customers", RelationKind.Table);
        snapshot.AddColumn(Customers, 1, "id", Int4);
        snapshot.AddColumn(Customers, 2, "name", Text);
        snapshot.AddColumn(Customers, 4, "card", Text); // attnum 3 was dropped
        snapshot.AddColumn(Customers, 5, "email", Text);
        snapshot.AddRelation(Orders, "sales", "orders", RelationKind.Table);
        snapshot.AddColumn(Orders, 1, "id", Int4);
        snapshot.AddColumn(Orders, 2, "customer_email", Text);

        // create view v_email as select id, email from customers
        snapshot.AddRelation(EmailView, "public", "v_email", RelationKind.View);
        snapshot.AddColumn(EmailView, 1, "id", Int4);
        snapshot.AddColumn(EmailView, 2, "address", Text);
        snapshot.AddDependency(EmailView, Customers, 1);
        snapshot.AddDependency(EmailView, Customers, 5);

        // create materialized view v_email_2 as select address from v_email
        snapshot.AddRelation(EmailViewView, "public", "v_email_2", RelationKind.MaterializedView);
        snapshot.AddColumn(EmailViewView, 1, "address", Text);
        snapshot.AddDependency(EmailViewView, EmailView, 2);

        // a view with a whole-row reference to customers
        snapshot.AddRelation(WholeView, "public", "v_rows", RelationKind.View);
        snapshot.AddColumn(WholeView, 1, "c", Text);
        snapshot.AddDependency(WholeView, Customers, 0);

        // create view v_names as select id, name from customers
        snapshot.AddRelation(CleanView, "public", "v_names", RelationKind.View);
        snapshot.AddColumn(CleanView, 1, "id", Int4);
        snapshot.AddColumn(CleanView, 2, "name", Text);
        snapshot.AddDependency(CleanView, Customers, 1);
        snapshot.AddDependency(CleanView, Customers, 2);
        return snapshot;
    }

    [Fact]
    public void Column_matching_a_glob_is_masked_by_oid_and_attnum_with_its_label_and_type()
    {
        var mask = Mask("pii", "public.customers.email");

        var catalog = MaskBinder.Bind(Shop(), [mask]);

        Assert.True(catalog.TryGetColumn(Customers, 5, out var column));
        Assert.Equal(new MaskedColumn(mask, "public.customers.email", Text), column);
        Assert.False(catalog.TryGetColumn(Customers, 2, out _));
        Assert.False(catalog.TryGetColumn(Orders, 2, out _));
    }

    [Fact]
    public void Globs_are_case_insensitive_and_match_any_schema_and_table()
    {
        var catalog = MaskBinder.Bind(Shop(), [Mask("pii", "*.*.*EMAIL", "PUBLIC.Customers.card")]);

        Assert.True(catalog.TryGetColumn(Customers, 5, out _));
        Assert.True(catalog.TryGetColumn(Customers, 4, out _));
        Assert.True(catalog.TryGetColumn(Orders, 2, out _));
        Assert.False(catalog.TryGetColumn(Orders, 1, out _));
    }

    [Fact]
    public void First_mask_in_policy_order_wins()
    {
        var first = Mask("first", "public.customers.e*");
        var second = Mask("second", "*.*.email", "*.*.card");

        var catalog = MaskBinder.Bind(Shop(), [first, second]);

        Assert.True(catalog.TryGetColumn(Customers, 5, out var email));
        Assert.Same(first, email.Mask);
        Assert.True(catalog.TryGetColumn(Customers, 4, out var card));
        Assert.Same(second, card.Mask);
    }

    [Fact]
    public void View_over_a_masked_column_and_a_view_over_that_view_have_every_column_masked()
    {
        var mask = Mask("pii", "public.customers.email");

        var catalog = MaskBinder.Bind(Shop(), [mask]);

        Assert.True(catalog.TryGetColumn(EmailView, 1, out var id));
        Assert.Equal("public.v_email.id", id.Label);
        Assert.True(catalog.TryGetColumn(EmailView, 2, out _));
        Assert.True(catalog.TryGetColumn(EmailViewView, 1, out var chained));
        Assert.Same(mask, chained.Mask);
        Assert.False(catalog.TryGetColumn(CleanView, 1, out _));
        Assert.False(catalog.TryGetColumn(CleanView, 2, out _));
    }

    [Fact]
    public void View_chain_declared_before_its_source_is_still_masked()
    {
        var snapshot = new CatalogSnapshot();
        snapshot.AddRelation(3, "public", "outer_view", RelationKind.View);
        snapshot.AddColumn(3, 1, "x", Text);
        snapshot.AddDependency(3, 2, 1);
        snapshot.AddRelation(2, "public", "inner_view", RelationKind.View);
        snapshot.AddColumn(2, 1, "x", Text);
        snapshot.AddDependency(2, 1, 1);
        snapshot.AddRelation(1, "public", "t", RelationKind.Table);
        snapshot.AddColumn(1, 1, "secret", Text);

        var catalog = MaskBinder.Bind(snapshot, [Mask("m", "public.t.secret")]);

        Assert.True(catalog.TryGetColumn(3, 1, out _));
    }

    [Fact]
    public void Whole_relation_reference_to_a_relation_with_masked_columns_masks_the_view()
    {
        var catalog = MaskBinder.Bind(Shop(), [Mask("pii", "public.customers.card")]);

        Assert.True(catalog.TryGetColumn(WholeView, 1, out var column));
        Assert.Equal("pii", column.Mask.Name);
    }

    [Fact]
    public void Globs_do_not_mask_view_columns_directly()
    {
        // A view's column is masked for what it reads, not for its name.
        var catalog = MaskBinder.Bind(Shop(), [Mask("m", "public.v_names.name")]);

        Assert.False(catalog.TryGetColumn(CleanView, 2, out _));
    }

    [Fact]
    public void Partition_takes_its_parents_masks_by_name_through_every_level()
    {
        var snapshot = new CatalogSnapshot();
        snapshot.AddRelation(10, "public", "payments", RelationKind.PartitionedTable);
        snapshot.AddColumn(10, 1, "id", Int4);
        snapshot.AddColumn(10, 2, "card", Text);
        snapshot.AddRelation(11, "public", "payments_2025", RelationKind.PartitionedTable);
        snapshot.AddColumn(11, 1, "card", Text); // attnums differ in a partition attached after its own creation
        snapshot.AddColumn(11, 2, "id", Int4);
        snapshot.AddRelation(12, "public", "payments_2025_01", RelationKind.Table);
        snapshot.AddColumn(12, 1, "id", Int4);
        snapshot.AddColumn(12, 2, "card", Text);
        snapshot.AddInheritance(12, 11);
        snapshot.AddInheritance(11, 10);

        var catalog = MaskBinder.Bind(snapshot, [Mask("m", "public.payments.card")]);

        Assert.True(catalog.TryGetColumn(10, 2, out _));
        Assert.True(catalog.TryGetColumn(11, 1, out var middle));
        Assert.Equal("public.payments_2025.card", middle.Label);
        Assert.False(catalog.TryGetColumn(11, 2, out _));
        Assert.True(catalog.TryGetColumn(12, 2, out _));
    }

    [Fact]
    public void Masked_partition_masks_its_parent_but_not_its_siblings()
    {
        var snapshot = new CatalogSnapshot();
        snapshot.AddRelation(10, "public", "events", RelationKind.PartitionedTable);
        snapshot.AddColumn(10, 1, "payload", Text);
        snapshot.AddRelation(11, "public", "events_eu", RelationKind.Table);
        snapshot.AddColumn(11, 1, "payload", Text);
        snapshot.AddRelation(12, "public", "events_us", RelationKind.Table);
        snapshot.AddColumn(12, 1, "payload", Text);
        snapshot.AddInheritance(11, 10);
        snapshot.AddInheritance(12, 10);

        var catalog = MaskBinder.Bind(snapshot, [Mask("m", "public.events_eu.payload")]);

        Assert.True(catalog.TryGetColumn(10, 1, out _));
        Assert.False(catalog.TryGetColumn(12, 1, out _));
    }

    [Fact]
    public void Names_list_tables_and_views_with_their_masked_columns()
    {
        var catalog = MaskBinder.Bind(Shop(), [Mask("pii", "public.customers.email")]);

        Assert.True(catalog.Names.TryGetRelation("public", "customers", out var customers));
        Assert.Equal(["email"], customers.Keys);
        Assert.True(catalog.Names.TryGetRelation(null, "v_email_2", out var chained));
        Assert.Equal(["address"], chained.Keys);
        Assert.False(catalog.Names.TryGetRelation("public", "v_names", out _));
    }

    [Fact]
    public void Columns_of_a_relation_are_ordered_by_attnum_with_their_masks()
    {
        var mask = Mask("pii", "public.customers.email");
        var catalog = MaskBinder.Bind(Shop(), [mask]);

        var columns = catalog.ColumnsOf("public", "customers");

        Assert.NotNull(columns);
        Assert.Equal([(1, "id", null), (2, "name", null), (4, "card", null), (5, "email", mask)], columns.Select(c => ((int)c.AttNum, c.Name, c.Mask)));
        Assert.Null(catalog.ColumnsOf("sales", "customers"));
    }

    [Fact]
    public void Unqualified_name_prefers_the_relation_with_masks()
    {
        var snapshot = new CatalogSnapshot();
        snapshot.AddRelation(1, "app", "users", RelationKind.Table);
        snapshot.AddColumn(1, 1, "login", Text);
        snapshot.AddRelation(2, "hr", "users", RelationKind.Table);
        snapshot.AddColumn(2, 1, "salary", Text);

        var masked = MaskBinder.Bind(snapshot, [Mask("m", "hr.users.salary")]);
        var clear = MaskBinder.Bind(snapshot, [Mask("m", "other.*.*")]);

        Assert.Equal("salary", Assert.Single(masked.ColumnsOf(null, "users")!).Name);
        Assert.Equal("login", Assert.Single(clear.ColumnsOf(null, "users")!).Name);
        Assert.Null(clear.ColumnsOf(null, "nobody"));
    }

    [Fact]
    public void Every_loaded_relation_is_known_and_a_new_oid_is_not()
    {
        var catalog = MaskBinder.Bind(Shop(), []);

        Assert.True(catalog.IsKnownRelation(CleanView));
        Assert.True(catalog.IsKnownRelation(Orders));
        Assert.False(catalog.IsKnownRelation(99999));
        Assert.True(catalog.Names.IsEmpty);
        Assert.Null(catalog.FallbackMask);
    }

    [Fact]
    public void Fallback_is_the_first_mask_with_columns()
    {
        var detectorsOnly = Mask("detectors") with { Detectors = ["email"] };
        var withColumns = Mask("cols", "x.y.z");

        var catalog = MaskBinder.Bind(Shop(), [detectorsOnly, withColumns]);

        Assert.Same(withColumns, catalog.FallbackMask);
        Assert.Equal([detectorsOnly, withColumns], catalog.Masks);
    }
}
