//! The SERVICE names of a query, wherever they are (also inside `EXISTS`), to check them all
//! before anything is evaluated.

use spargebra::algebra::{AggregateExpression, Expression, GraphPattern, OrderExpression};
use spargebra::term::NamedNodePattern;

pub(super) fn of_query(query: &spargebra::Query, out: &mut Vec<NamedNodePattern>) {
    match query {
        spargebra::Query::Select { pattern, .. }
        | spargebra::Query::Construct { pattern, .. }
        | spargebra::Query::Describe { pattern, .. }
        | spargebra::Query::Ask { pattern, .. } => of_pattern(pattern, out),
    }
}

/// Every SERVICE name in `pattern`, including those inside `EXISTS` and `NOT EXISTS`.
fn of_pattern(pattern: &GraphPattern, out: &mut Vec<NamedNodePattern>) {
    match pattern {
        GraphPattern::Bgp { .. } | GraphPattern::Path { .. } | GraphPattern::Values { .. } => {}
        GraphPattern::Join { left, right }
        | GraphPattern::Lateral { left, right }
        | GraphPattern::Union { left, right }
        | GraphPattern::Minus { left, right } => {
            of_pattern(left, out);
            of_pattern(right, out);
        }
        GraphPattern::LeftJoin { left, right, expression } => {
            of_pattern(left, out);
            of_pattern(right, out);
            if let Some(e) = expression {
                of_expression(e, out);
            }
        }
        GraphPattern::Filter { expr, inner } => {
            of_expression(expr, out);
            of_pattern(inner, out);
        }
        GraphPattern::Extend { inner, expression, .. } => {
            of_expression(expression, out);
            of_pattern(inner, out);
        }
        GraphPattern::OrderBy { inner, expression } => {
            for e in expression {
                let (OrderExpression::Asc(e) | OrderExpression::Desc(e)) = e;
                of_expression(e, out);
            }
            of_pattern(inner, out);
        }
        GraphPattern::Group { inner, aggregates, .. } => {
            for (_, aggregate) in aggregates {
                if let AggregateExpression::FunctionCall { expr, .. } = aggregate {
                    of_expression(expr, out);
                }
            }
            of_pattern(inner, out);
        }
        GraphPattern::Graph { inner, .. }
        | GraphPattern::Project { inner, .. }
        | GraphPattern::Distinct { inner }
        | GraphPattern::Reduced { inner }
        | GraphPattern::Slice { inner, .. } => of_pattern(inner, out),
        GraphPattern::Service { name, inner, .. } => {
            out.push(name.clone());
            of_pattern(inner, out);
        }
    }
}

fn of_expression(expression: &Expression, out: &mut Vec<NamedNodePattern>) {
    match expression {
        Expression::NamedNode(_) | Expression::Literal(_) | Expression::Variable(_) | Expression::Bound(_) => {}
        Expression::Exists(pattern) => of_pattern(pattern, out),
        Expression::Or(a, b)
        | Expression::And(a, b)
        | Expression::Equal(a, b)
        | Expression::SameTerm(a, b)
        | Expression::Greater(a, b)
        | Expression::GreaterOrEqual(a, b)
        | Expression::Less(a, b)
        | Expression::LessOrEqual(a, b)
        | Expression::Add(a, b)
        | Expression::Subtract(a, b)
        | Expression::Multiply(a, b)
        | Expression::Divide(a, b) => {
            of_expression(a, out);
            of_expression(b, out);
        }
        Expression::UnaryPlus(a) | Expression::UnaryMinus(a) | Expression::Not(a) => of_expression(a, out),
        Expression::If(a, b, c) => {
            for e in [a, b, c] {
                of_expression(e, out);
            }
        }
        Expression::In(a, list) => {
            of_expression(a, out);
            list.iter().for_each(|e| of_expression(e, out));
        }
        Expression::Coalesce(list) | Expression::FunctionCall(_, list) => {
            list.iter().for_each(|e| of_expression(e, out));
        }
    }
}
