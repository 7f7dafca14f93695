//! The defection rate by period and group (see `churn rate`).
