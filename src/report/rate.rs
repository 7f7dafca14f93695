//! Renderers for `churn rate`.
