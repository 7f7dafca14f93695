//! The daily table: one SQL query that sums raw purchase lines, where they live (DuckDB,
//! Spark, BigQuery, Snowflake, Postgres), into the far smaller table churn's rules need.
//!
//! churn groups a customer's lines of one day into a visit (`history.rs`): the visit's
//! spend is the net sum of its lines, a day with only refund lines (negative amounts)
//! is not a visit, and the categories, stores and employees of a visit are those of its
//! non-negative lines. Summing lines per customer, day, store, employee, category *and
//! sign of the amount* keeps all of that: a purchase row of the table is non-negative
//! exactly when it sums purchase lines, so a day with a purchase and a larger refund in
//! the same category is still a visit, as in the raw lines.
//!
//! What the query cannot shorten: the history before the as-of date. The rules use each
//! customer's whole history (their first visit makes them new or not, the number of
//! visits decides whether they have a rhythm, the longest gap bounds `gone`, a
//! category's last purchase can be years old) and so does the value model (tenure and
//! repeat visits), so only lines after the as-of date are left out.

use std::fmt::Write as _;

use anyhow::{Result, bail};
use chrono::NaiveDate;

use crate::load::{ColumnNames, Role};

/// The SQL engines the query is written for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Dialect {
    #[value(name = "duckdb")]
    DuckDb,
    Spark,
    #[value(name = "bigquery")]
    BigQuery,
    Snowflake,
    Postgres,
}

impl Dialect {
    pub fn name(self) -> &'static str {
        match self {
            Dialect::DuckDb => "duckdb",
            Dialect::Spark => "spark",
            Dialect::BigQuery => "bigquery",
            Dialect::Snowflake => "snowflake",
            Dialect::Postgres => "postgres",
        }
    }

    /// An identifier as the engine reads it. Plain names stay unquoted, so each engine
    /// resolves them as it does in hand-written SQL (Snowflake in upper case, Postgres
    /// in lower case); other names are quoted exactly as given.
    fn ident(self, name: &str) -> String {
        let plain = name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !RESERVED.contains(&name.to_ascii_lowercase().as_str());
        if plain {
            return name.to_string();
        }
        match self {
            Dialect::Spark => format!("`{}`", name.replace('`', "``")),
            Dialect::BigQuery => format!("`{}`", name.replace('`', "\\`")),
            Dialect::DuckDb | Dialect::Snowflake | Dialect::Postgres => {
                format!("\"{}\"", name.replace('"', "\"\""))
            }
        }
    }

    /// A table name: a qualified name (`schema.table`, `project.dataset.table`) has
    /// each part quoted as needed; a name already holding quotes or parentheses is
    /// the user's own SQL (e.g. DuckDB's `'purchases.csv'` or `read_parquet(...)`),
    /// used as written.
    fn table(self, name: &str) -> String {
        if name.contains(['"', '`', '\'', '(', ' ']) {
            return name.to_string();
        }
        name.split('.')
            .map(|part| self.ident(part))
            .collect::<Vec<_>>()
            .join(".")
    }

    fn text_type(self) -> &'static str {
        match self {
            Dialect::DuckDb | Dialect::Snowflake => "VARCHAR",
            Dialect::Spark | Dialect::BigQuery => "STRING",
            Dialect::Postgres => "TEXT",
        }
    }

    /// `value` as text without the ASCII white space around it (space, tab, line
    /// feed, form feed, carriage return), as churn trims every field.
    fn trim(self, value: &str) -> String {
        let text = format!("CAST({value} AS {})", self.text_type());
        match self {
            Dialect::DuckDb => format!("TRIM({text}, E' \\t\\n\\f\\r')"),
            // Spark's string literals know no \f: \014 is its octal escape.
            Dialect::Spark => format!("TRIM(BOTH ' \\t\\n\\014\\r' FROM {text})"),
            Dialect::BigQuery | Dialect::Snowflake => format!("TRIM({text}, ' \\t\\n\\f\\r')"),
            Dialect::Postgres => format!("BTRIM({text}, E' \\t\\n\\f\\r')"),
        }
    }

    /// A DATE as `yyyy-mm-dd` text.
    fn iso_date(self, day: &str) -> String {
        match self {
            Dialect::DuckDb => format!("STRFTIME({day}, '%Y-%m-%d')"),
            Dialect::Spark => format!("DATE_FORMAT({day}, 'yyyy-MM-dd')"),
            Dialect::BigQuery => format!("FORMAT_DATE('%Y-%m-%d', {day})"),
            Dialect::Snowflake | Dialect::Postgres => format!("TO_CHAR({day}, 'YYYY-MM-DD')"),
        }
    }

    /// A decimal type that holds any sum of amounts to the millionth and prints as a
    /// plain number (a double prints as `1.0E7` in Spark and other engines).
    fn decimal_type(self) -> &'static str {
        match self {
            Dialect::DuckDb | Dialect::Spark => "DECIMAL(38, 6)",
            // NUMERIC has 9 decimals and 29 digits before the point.
            Dialect::BigQuery => "NUMERIC",
            Dialect::Snowflake => "NUMBER(38, 6)",
            Dialect::Postgres => "NUMERIC(38, 6)",
        }
    }
}

/// Words that must be quoted as names in at least one of the dialects.
#[rustfmt::skip]
const RESERVED: &[&str] = &[
    "all", "and", "any", "array", "as", "asc", "between", "both", "by", "case", "cast", "check",
    "collate", "column", "constraint", "create", "cross", "cube", "current", "current_date",
    "current_time", "current_timestamp", "current_user", "default", "delete", "desc", "distinct",
    "else", "end", "except", "exists", "extract", "false", "fetch", "following", "for", "foreign",
    "from", "full", "grant", "group", "grouping", "having", "if", "ilike", "in", "inner",
    "insert", "intersect", "interval", "into", "is", "join", "lateral", "leading", "left", "like",
    "limit", "localtime", "localtimestamp", "minus", "natural", "new", "no", "not", "null",
    "nulls", "of", "offset", "on", "only", "or", "order", "outer", "over", "partition",
    "preceding", "primary", "qualify", "range", "references", "right", "rollup", "row", "rows",
    "sample", "select", "session_user", "set", "some", "start", "struct", "table", "tablesample",
    "then", "to", "trailing", "true", "union", "unique", "unknown", "update", "user", "using",
    "values", "when", "where", "window", "with", "within",
];

/// The column of the daily table that says how many raw lines a row sums. The other
/// columns keep the names of the purchase table's columns, so the same flags or
/// `[columns]` config read both.
pub const LINES: &str = "lines";

/// The name a purchase column has when neither a flag nor the config names it: the
/// header of `churn sample` and of the examples.
pub fn default_name(role: Role) -> &'static str {
    match role {
        Role::Customer => "customer_id",
        Role::Date => "date",
        Role::Amount => "amount",
        Role::Store => "store",
        Role::Employee => "employee",
        Role::Category => "category",
        _ => "",
    }
}

/// What to summarise and how.
#[derive(Clone, Debug)]
pub struct DailyQuery {
    pub dialect: Dialect,
    /// The purchase table (or view), possibly qualified.
    pub table: String,
    /// Column names from flags and config; unnamed ones get [`default_name`].
    pub columns: ColumnNames,
    /// Optional columns the table does not have.
    pub without: Vec<Role>,
    /// Leave out lines after this day.
    pub as_of: Option<NaiveDate>,
    /// Drop exact duplicate lines (every column equal), as `--dedupe` does.
    pub dedupe: bool,
}

impl DailyQuery {
    /// The column of `role` in the purchase table, `None` when the table has none.
    fn source_column(&self, role: Role) -> Option<&str> {
        if self.without.contains(&role) {
            return None;
        }
        Some(self.columns.get(role).unwrap_or(default_name(role)))
    }
}

/// A column of the purchase table that the query reads.
struct Column {
    role: Role,
    /// The name as written in the query (quoted when needed).
    sql: String,
    /// The name in the query's own steps.
    inner: &'static str,
}

/// Writes the query that turns the purchase lines of `q.table` into the daily table.
pub fn daily_query(q: &DailyQuery) -> Result<String> {
    for role in [Role::Customer, Role::Date, Role::Amount] {
        if q.without.contains(&role) {
            bail!(
                "the {} column is required: it cannot be left out",
                role.name()
            );
        }
    }
    let d = q.dialect;
    let mut columns = Vec::new();
    for role in Role::PURCHASE {
        let Some(name) = q.source_column(role) else {
            continue;
        };
        check_name(role.flag(false), name)?;
        let inner = match role {
            Role::Customer => "customer",
            Role::Date => "line_day",
            Role::Amount => "line_amount",
            Role::Store => "store",
            Role::Employee => "employee",
            _ => "category",
        };
        columns.push(Column {
            role,
            sql: d.ident(name),
            inner,
        });
    }
    check_name("--table", &q.table)?;
    let col = |role: Role| columns.iter().find(|c| c.role == role);
    let sql = |role: Role| col(role).map_or("", |c| c.sql.as_str());
    let (customer, date, amount) = (sql(Role::Customer), sql(Role::Date), sql(Role::Amount));
    // Store, employee and category: those the table has.
    let optional: Vec<&Column> = columns.iter().filter(|c| !c.role.required()).collect();

    let mut s = String::new();
    header(&mut s, q, &columns);
    let source = if q.dedupe {
        format!(
            "(SELECT DISTINCT * FROM {}) AS distinct_lines",
            d.table(&q.table)
        )
    } else {
        d.table(&q.table)
    };

    // summed: the one pass over every line, on the values as stored (cheap to group).
    s.push_str("WITH summed AS (\n");
    comment_in(
        &mut s,
        "The lines summed per customer, day, sign of the amount and the other columns as stored: the only pass over every line. Refund lines (below 0) stay apart from purchase lines, so a day with a purchase and a larger refund stays a visit.",
    );
    s.push_str("    SELECT\n");
    let _ = writeln!(s, "        {customer} AS line_customer,");
    let _ = writeln!(s, "        CAST({date} AS DATE) AS line_day,");
    let _ = writeln!(s, "        {amount} < 0 AS refund,");
    for c in &optional {
        let _ = writeln!(s, "        {} AS line_{},", c.sql, c.inner);
    }
    let _ = writeln!(s, "        SUM({amount}) AS line_amount,");
    s.push_str("        COUNT(*) AS line_count\n");
    let _ = writeln!(s, "    FROM {source}");
    comment_in(
        &mut s,
        "A line without a date or an amount cannot be read (churn skips it with --skip-bad-rows).",
    );
    let _ = write!(s, "    WHERE {date} IS NOT NULL AND {amount} IS NOT NULL");
    if let Some(day) = q.as_of {
        let _ = write!(
            s,
            "\n        AND CAST({date} AS DATE) <= DATE '{}'",
            day.format("%Y-%m-%d")
        );
    }
    let mut group = vec![
        customer.to_string(),
        format!("CAST({date} AS DATE)"),
        format!("{amount} < 0"),
    ];
    group.extend(optional.iter().map(|c| c.sql.clone()));
    let _ = writeln!(s, "\n    GROUP BY {}", group.join(", "));
    s.push_str("),\n");

    // typed: the values as churn reads them.
    s.push_str("typed AS (\n");
    comment_in(
        &mut s,
        "The values as churn reads them: text without the white space around it, '' when empty.",
    );
    s.push_str("    SELECT\n");
    let _ = writeln!(
        s,
        "        COALESCE({}, '') AS customer,",
        d.trim("line_customer")
    );
    s.push_str("        line_day,\n        refund,\n");
    for c in &optional {
        let _ = writeln!(
            s,
            "        COALESCE({}, '') AS {},",
            d.trim(&format!("line_{}", c.inner)),
            c.inner
        );
    }
    s.push_str("        line_amount,\n        line_count\n    FROM summed\n),\n");

    // keyed: anonymous lines keep only their day.
    s.push_str("keyed AS (\n");
    comment_in(
        &mut s,
        "Anonymous lines (no customer id) keep only their day: churn counts them, and their last date is the default as-of date.",
    );
    s.push_str("    SELECT\n        customer,\n        line_day,\n        refund,\n");
    for c in &optional {
        let _ = writeln!(
            s,
            "        CASE WHEN customer = '' THEN '' ELSE {0} END AS {0},",
            c.inner
        );
    }
    s.push_str("        line_amount,\n        line_count\n    FROM typed\n)\n");

    // The daily rows, under the purchase table's column names.
    s.push_str("SELECT\n");
    for c in &columns {
        let value = match c.role {
            Role::Date => d.iso_date("line_day"),
            Role::Amount => format!("CAST(SUM(line_amount) AS {})", d.decimal_type()),
            _ => c.inner.to_string(),
        };
        if value == c.sql {
            let _ = writeln!(s, "    {value},");
        } else {
            let _ = writeln!(s, "    {value} AS {},", c.sql);
        }
    }
    // BIGINT everywhere (a 64-bit integer in Parquet): Postgres would sum to NUMERIC,
    // DuckDB to a 128-bit integer.
    let _ = writeln!(s, "    CAST(SUM(line_count) AS BIGINT) AS {LINES}");
    s.push_str("FROM keyed\n");
    let mut group = vec!["customer", "line_day", "refund"];
    group.extend(optional.iter().map(|c| c.inner));
    let _ = writeln!(s, "GROUP BY {}", group.join(", "));
    // Refund rows before purchase rows of the same keys: amount last.
    let mut order = vec![customer, date];
    order.extend(optional.iter().map(|c| c.sql.as_str()));
    order.push(amount);
    let _ = write!(s, "ORDER BY {}", order.join(", "));
    Ok(s)
}

/// A name the query can hold: not empty, no control characters (a line break would end
/// the header comment).
fn check_name(what: &str, name: &str) -> Result<()> {
    if name.trim().is_empty() || name.chars().any(char::is_control) {
        bail!(
            "{what} \"{}\": a name cannot be empty or hold control characters",
            name.escape_debug()
        );
    }
    Ok(())
}

/// The comment that says what the query does and what each output column means.
fn header(s: &mut String, q: &DailyQuery, columns: &[Column]) {
    let optional: Vec<Role> = columns
        .iter()
        .map(|c| c.role)
        .filter(|r| !r.required())
        .collect();
    let mut per = vec!["customer", "day"];
    per.extend(optional.iter().map(|r| r.name()));
    comment(
        s,
        &format!(
            "churn's daily table ({} SQL): the purchase lines of {} summed per {} and sign of the amount.",
            q.dialect.name(),
            q.table,
            per.join(", ")
        ),
    );
    let mut same = String::from("visits, spend per visit, refunds, revenue");
    if optional.contains(&Role::Category) {
        same.push_str(", categories per visit");
    }
    if !optional.is_empty() {
        let names: Vec<&str> = optional.iter().map(|r| r.name()).collect();
        same.push_str(" and main ");
        same.push_str(&match names.split_last() {
            Some((last, [])) => last.to_string(),
            Some((last, first)) => format!("{} and {last}", first.join(", ")),
            None => String::new(),
        });
    }
    comment(
        s,
        &format!(
            "churn reads it as it reads the lines themselves, with the same flags or config (`churn scan daily.csv`): the same {same}. Columns:"
        ),
    );
    let width = columns
        .iter()
        .map(|c| c.sql.chars().count())
        .chain([LINES.len()])
        .max()
        .unwrap_or(0);
    let mut meanings: Vec<(&str, &str)> = columns
        .iter()
        .map(|c| {
            let what = match c.role {
                Role::Customer => {
                    "the customer id; empty for a day's anonymous lines (no customer id), which churn counts and judges no one by"
                }
                Role::Date => "the day, yyyy-mm-dd",
                Role::Amount => {
                    "the sum of the lines' amounts: 0 or more for purchase lines, below 0 for refund lines (a day with only refund rows is not a visit)"
                }
                Role::Store => "the store ('' when the lines have none)",
                Role::Employee => "the employee ('' when the lines have none)",
                _ => "the product category ('' when the lines have none)",
            };
            (c.sql.as_str(), what)
        })
        .collect();
    meanings.push((LINES, "how many purchase lines the row sums"));
    for (name, what) in meanings {
        // The meaning, wrapped, in a column after the name.
        let mut lines = wrap(what, WIDTH.saturating_sub(width + 6).max(30)).into_iter();
        let _ = writeln!(
            s,
            "--   {name:<width$} {}",
            lines.next().unwrap_or_default()
        );
        for more in lines {
            let _ = writeln!(s, "--   {:<width$} {more}", "");
        }
    }
    s.push_str("--\n");
    let read = match q.as_of {
        Some(day) => format!(
            "Lines after {} (--as-of) are left out; all lines before it are read",
            day.format("%Y-%m-%d")
        ),
        None => "All lines are read (--as-of leaves out later ones)".to_string(),
    };
    comment(
        s,
        &format!(
            "{read}: the rules use each customer's whole history (first visit, number of visits, longest gap, lifetime revenue), and so does the value model."
        ),
    );
    comment(
        s,
        if q.dedupe {
            "Exact duplicate lines (every column equal) are dropped, as with --dedupe."
        } else {
            "Exact duplicate lines are kept, as churn keeps them without --dedupe."
        },
    );
}

/// Width of the header comment's lines.
const WIDTH: usize = 88;

/// `text` as `-- ` comment lines of at most [`WIDTH`] characters (a longer word stays
/// whole).
fn comment(s: &mut String, text: &str) {
    for line in wrap(text, WIDTH - 3) {
        let _ = writeln!(s, "-- {line}");
    }
}

/// [`comment`] inside a common table expression, indented.
fn comment_in(s: &mut String, text: &str) {
    for line in wrap(text, WIDTH - 7) {
        let _ = writeln!(s, "    -- {line}");
    }
}

fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    lines.push(line);
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(dialect: Dialect) -> DailyQuery {
        DailyQuery {
            dialect,
            table: "purchases".into(),
            columns: ColumnNames::default(),
            without: Vec::new(),
            as_of: None,
            dedupe: false,
        }
    }

    #[test]
    fn plain_names_stay_unquoted_and_others_are_quoted_per_dialect() {
        assert_eq!(Dialect::Snowflake.ident("customer_id"), "customer_id");
        assert_eq!(Dialect::Postgres.ident("Kund nr"), "\"Kund nr\"");
        assert_eq!(Dialect::Postgres.ident("order"), "\"order\"");
        assert_eq!(Dialect::Spark.ident("kund`nr"), "`kund``nr`");
        assert_eq!(Dialect::BigQuery.ident("2nd"), "`2nd`");
        assert_eq!(Dialect::DuckDb.ident("Köpdatum"), "\"Köpdatum\"");
        assert_eq!(
            Dialect::BigQuery.table("my-project.sales.lines"),
            "`my-project`.sales.lines"
        );
        assert_eq!(Dialect::DuckDb.table("'purchases.csv'"), "'purchases.csv'");
    }

    #[test]
    fn the_query_groups_by_sign_and_keeps_only_lines_up_to_the_as_of_date() {
        let mut q = query(Dialect::Postgres);
        q.as_of = NaiveDate::from_ymd_opt(2026, 10, 31);
        let sql = daily_query(&q).unwrap();
        for part in [
            "    FROM purchases\n",
            "        AND CAST(date AS DATE) <= DATE '2026-10-31'\n",
            "        amount < 0 AS refund,\n",
            "    GROUP BY customer_id, CAST(date AS DATE), amount < 0, store, employee, category\n",
            "GROUP BY customer, line_day, refund, store, employee, category\n",
            "ORDER BY customer_id, date, store, employee, category, amount",
        ] {
            assert!(sql.contains(part), "{part}\n{sql}");
        }
        assert!(!sql.contains("DISTINCT"), "{sql}");
        assert!(sql.ends_with("amount"), "{sql}");
    }

    #[test]
    fn the_daily_table_keeps_the_names_of_the_purchase_columns() {
        let mut q = query(Dialect::Snowflake);
        q.columns.customer = Some("Kortnummer".into());
        q.columns.date = Some("Köpdatum".into());
        q.without = vec![Role::Employee, Role::Category];
        q.dedupe = true;
        let sql = daily_query(&q).unwrap();
        for part in [
            "        Kortnummer AS line_customer,\n",
            "        CAST(\"Köpdatum\" AS DATE) AS line_day,\n",
            "COALESCE(TRIM(CAST(line_customer AS VARCHAR), ' \\t\\n\\f\\r'), '') AS customer,",
            "    FROM (SELECT DISTINCT * FROM purchases) AS distinct_lines\n",
            "    customer AS Kortnummer,\n",
            "    TO_CHAR(line_day, 'YYYY-MM-DD') AS \"Köpdatum\",\n",
            "    store,\n",
            "GROUP BY customer, line_day, refund, store\n",
            "ORDER BY Kortnummer, \"Köpdatum\", store, amount",
            "--   Kortnummer the customer id",
        ] {
            assert!(sql.contains(part), "{part}\n{sql}");
        }
        assert!(!sql.contains("employee"), "{sql}");
        assert!(!sql.contains("category"), "{sql}");
    }

    #[test]
    fn required_columns_cannot_be_left_out_and_names_cannot_hold_line_breaks() {
        let mut q = query(Dialect::DuckDb);
        q.without = vec![Role::Amount];
        let err = daily_query(&q).unwrap_err().to_string();
        assert_eq!(err, "the amount column is required: it cannot be left out");
        let mut q = query(Dialect::DuckDb);
        q.table = "sales\n; DROP".into();
        let err = daily_query(&q).unwrap_err().to_string();
        assert_eq!(
            err,
            "--table \"sales\\n; DROP\": a name cannot be empty or hold control characters"
        );
    }

    #[test]
    fn every_dialect_writes_iso_dates_and_plain_decimals() {
        for (dialect, date) in [
            (Dialect::DuckDb, "STRFTIME(line_day, '%Y-%m-%d') AS date"),
            (
                Dialect::Spark,
                "DATE_FORMAT(line_day, 'yyyy-MM-dd') AS date",
            ),
            (
                Dialect::BigQuery,
                "FORMAT_DATE('%Y-%m-%d', line_day) AS date",
            ),
            (
                Dialect::Snowflake,
                "TO_CHAR(line_day, 'YYYY-MM-DD') AS date",
            ),
            (Dialect::Postgres, "TO_CHAR(line_day, 'YYYY-MM-DD') AS date"),
        ] {
            let sql = daily_query(&query(dialect)).unwrap();
            assert!(sql.contains(date), "{sql}");
            assert!(sql.contains(&format!("AS {}) AS amount", dialect.decimal_type())));
            assert!(sql.starts_with("-- churn's daily table"), "{sql}");
            assert!(
                sql.contains("CAST(SUM(line_count) AS BIGINT) AS lines"),
                "{sql}"
            );
        }
    }
}
