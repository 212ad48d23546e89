//! The SQL a scan of a partner's table sends to the owning node: the projection, the filters
//! that translate faithfully and the limit. A filter is pushed (`Exact`) only when it is built
//! of comparisons, logic, arithmetic but division, `IS [NOT] NULL`, `BETWEEN`, `IN (…)` and `LIKE` over
//! columns and literals whose text reads back as the same value; anything else stays with the
//! local plan, which then also keeps the limit. The text is written by DataFusion's unparser and
//! sqlparser's identifiers (quoting and escaping are theirs, never hand-written).

use arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::logical_expr::utils::conjunction;
use datafusion::logical_expr::{BinaryExpr, Expr, Operator};
use datafusion::sql::sqlparser::ast::Ident;
use datafusion::sql::unparser::expr_to_sql;

/// Whether `expr` can be evaluated by the owning node exactly as here.
pub fn translatable(expr: &Expr) -> bool {
    match expr {
        Expr::Column(_) => true,
        Expr::Literal(value, _) => literal(value),
        Expr::BinaryExpr(BinaryExpr { left, op, right }) => operator(op) && translatable(left) && translatable(right),
        Expr::Not(e) | Expr::IsNull(e) | Expr::IsNotNull(e) | Expr::Negative(e) => translatable(e),
        Expr::Between(b) => translatable(&b.expr) && translatable(&b.low) && translatable(&b.high),
        Expr::InList(l) => translatable(&l.expr) && l.list.iter().all(translatable),
        Expr::Like(l) => l.escape_char.is_none() && translatable(&l.expr) && translatable(&l.pattern),
        Expr::Cast(c) => cast_target(c.field.data_type()) && translatable(&c.expr),
        _ => false,
    }
}

fn operator(op: &Operator) -> bool {
    use Operator::*;
    // Division stays here: a zero divisor fails either way, but with the partner's message.
    matches!(op, Eq | NotEq | Lt | LtEq | Gt | GtEq | And | Or | Plus | Minus | Multiply | Modulo)
}

/// Literals whose SQL text parses back to the same value (decimals and timestamps could come
/// back as another type; NaN and infinities have no literal).
fn literal(value: &ScalarValue) -> bool {
    use ScalarValue::*;
    match value {
        Boolean(_) | Int8(_) | Int16(_) | Int32(_) | Int64(_) | UInt8(_) | UInt16(_) | UInt32(_) | UInt64(_) => true,
        Utf8(_) | LargeUtf8(_) | Utf8View(_) => true,
        Float32(v) => v.is_none_or(f32::is_finite),
        Float64(v) => v.is_none_or(f64::is_finite),
        _ => false,
    }
}

/// Casts the type coercion inserts between a column and a literal.
fn cast_target(t: &DataType) -> bool {
    t.is_integer() || matches!(t, DataType::Float32 | DataType::Float64 | DataType::Utf8 | DataType::Boolean)
}

/// The filter as SQL over the remote table's own column names (qualifiers dropped).
pub fn filter_sql(expr: &Expr) -> datafusion::error::Result<String> {
    let unqualified = expr
        .clone()
        .transform_up(|e| match e {
            Expr::Column(c) => Ok(Transformed::yes(Expr::Column(datafusion::common::Column::new_unqualified(c.name)))),
            other => Ok(Transformed::no(other)),
        })?
        .data;
    Ok(expr_to_sql(&unqualified)?.to_string())
}

/// A quoted identifier (`"a ""b"""`).
pub fn ident(name: &str) -> String {
    Ident::with_quote('"', name).to_string()
}

/// `SELECT cols FROM "dataset"."table" [WHERE …] [LIMIT n]`; no columns (a count) selects a
/// constant, whose rows alone are read.
pub fn select(
    dataset: &str,
    table: &str,
    columns: &[&str],
    filters: &[Expr],
    limit: Option<usize>,
) -> datafusion::error::Result<String> {
    let projection = if columns.is_empty() {
        "1 AS \"_\"".to_owned()
    } else {
        columns.iter().map(|c| ident(c)).collect::<Vec<_>>().join(", ")
    };
    let mut sql = format!("SELECT {projection} FROM {}.{}", ident(dataset), ident(table));
    // One conjunction, so that the unparser sets the parentheses.
    if let Some(condition) = conjunction(filters.iter().cloned()) {
        sql.push_str(" WHERE ");
        sql.push_str(&filter_sql(&condition)?);
    }
    if let Some(n) = limit {
        sql.push_str(&format!(" LIMIT {n}"));
    }
    Ok(sql)
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::prelude::{col, lit};

    #[test]
    fn select_quotes_names_and_pushes_filters_and_limit() {
        let filter = col("a").gt(lit(0.5)).and(col("b \"x\"").eq(lit("it's")));
        let sql = select("ds-open", "t", &["a", "b \"x\""], &[filter, col("c").is_null()], Some(3)).unwrap();
        assert_eq!(
            sql,
            r#"SELECT "a", "b ""x""" FROM "ds-open"."t" WHERE (((a > 0.5) AND ("b ""x""" = 'it''s')) AND c IS NULL) LIMIT 3"#
        );
        assert_eq!(select("d", "t", &[], &[], None).unwrap(), r#"SELECT 1 AS "_" FROM "d"."t""#);
    }

    #[test]
    fn qualifiers_are_dropped() {
        let qualified = Expr::Column(datafusion::common::Column::new(Some("b.ds.t"), "a"));
        assert_eq!(filter_sql(&qualified.is_not_null()).unwrap(), "a IS NOT NULL");
    }

    #[test]
    fn only_faithful_filters_are_translatable() {
        assert!(translatable(&col("a").between(lit(1), lit(2))));
        assert!(translatable(&col("a").in_list(vec![lit("x"), lit("y")], false)));
        assert!(translatable(&col("a").like(lit("x%"))));
        assert!(!translatable(&col("a").gt(lit(f64::NAN))));
        assert!(!translatable(&col("a").eq(lit(ScalarValue::Decimal128(Some(1), 10, 2)))));
        assert!(!translatable(&datafusion::functions::expr_fn::abs(col("a")).gt(lit(1))));
        assert!(translatable(&(col("a") % lit(1000)).eq(lit(0))));
        assert!(!translatable(&(col("a") / lit(2)).gt(lit(1))));
    }
}
