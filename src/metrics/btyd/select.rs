//! Choosing the visit model on the data: BG/NBD, or BG/NBD with regular visits
//! ((M)BG/CNBD-k, [`super::cnbd`]), by penalised likelihood.
//!
//! Every candidate is fitted by maximum likelihood; the one with the lowest Bayesian
//! information criterion `BIC = −2 LL + p ln n` wins (Schwarz 1978), with `p = 4` for BG/NBD
//! and `p = 5` for the regularity models (the four of BG/NBD and `k`, chosen by likelihood).
//! A regularity model must therefore buy its extra parameter with `ln(n) / 2` of
//! log-likelihood (4.6 for 10,000 customers). The likelihoods are comparable across `k`
//! because they include the inter-visit-time terms (`litt`).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::{
    BgNbd, Cbs, ClvError, Cnbd, Fit, FitOptions, MAX_K, Rfm, fit_bgnbd_with, fit_cnbd_best_k,
};

/// Which visit model to use (`--model`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VisitModel {
    /// The best of the others on the data, by penalised likelihood.
    #[default]
    Auto,
    /// BG/NBD (Fader, Hardie & Lee 2005): Poisson visits.
    Bgnbd,
    /// BG/CNBD-k (Platzer & Reutterer 2016): Erlang-k visits, `k` by likelihood.
    Bgcnbd,
    /// MBG/CNBD-k (Reutterer, Platzer & Schröder 2021): as BG/CNBD-k, and a customer may be
    /// gone right after their first visit.
    Mbgcnbd,
}

impl VisitModel {
    pub const ALL: [VisitModel; 4] = [
        VisitModel::Auto,
        VisitModel::Bgnbd,
        VisitModel::Bgcnbd,
        VisitModel::Mbgcnbd,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            VisitModel::Auto => "auto",
            VisitModel::Bgnbd => "bgnbd",
            VisitModel::Bgcnbd => "bgcnbd",
            VisitModel::Mbgcnbd => "mbgcnbd",
        }
    }
}

impl fmt::Display for VisitModel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for VisitModel {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        VisitModel::ALL
            .into_iter()
            .find(|m| m.as_str().eq_ignore_ascii_case(text.trim()))
            .ok_or_else(|| {
                format!("\"{text}\" is not a visit model; use auto, bgnbd, bgcnbd or mbgcnbd")
            })
    }
}

/// One fitted candidate.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Candidate {
    /// "BG/NBD", "MBG/CNBD-2", ...
    pub name: String,
    pub log_likelihood: f64,
    /// `−2 LL + p ln n`.
    pub bic: f64,
    pub converged: bool,
}

/// The visit model used, the candidates it was chosen from, and why.
#[derive(Clone, Debug, Serialize)]
pub struct Selection {
    /// The model's fit (BG/NBD is the `k = 1`, no-first-drop-out member).
    pub fit: Fit<Cnbd>,
    /// "MBG/CNBD-2", ...
    pub name: String,
    /// What was asked for.
    pub requested: VisitModel,
    /// Why this model, in words.
    pub reason: String,
    pub candidates: Vec<Candidate>,
}

fn candidate(fit: &Fit<Cnbd>, n: f64) -> Candidate {
    let p = if fit.params.k == 1 && !fit.params.dropout_at_first {
        4.0
    } else {
        5.0
    };
    Candidate {
        name: fit.params.name(),
        log_likelihood: fit.log_likelihood,
        bic: -2.0 * fit.log_likelihood + p * n.ln(),
        converged: fit.converged,
    }
}

/// Fits the requested model (or, for [`VisitModel::Auto`], every model and keeps the one with
/// the lowest BIC) on `customers`; `bgnbd` is BG/NBD's fit on the same customers if the caller
/// has it already. Fails only if no candidate can be fitted.
pub fn select_visit_model(
    customers: &[Cbs],
    requested: VisitModel,
    bgnbd: Option<&Fit<BgNbd>>,
    opts: &FitOptions,
) -> Result<Selection, ClvError> {
    let n = customers.len() as f64;
    let mut fits: Vec<Fit<Cnbd>> = Vec::new();
    let mut first_err = None;
    let families: &[Option<bool>] = match requested {
        VisitModel::Auto => &[None, Some(false), Some(true)],
        VisitModel::Bgnbd => &[None],
        VisitModel::Bgcnbd => &[Some(false)],
        VisitModel::Mbgcnbd => &[Some(true)],
    };
    for family in families {
        let fit = match family {
            None => {
                let fitted = match bgnbd {
                    Some(f) => Ok(f.clone()),
                    None => {
                        let rfm: Vec<Rfm> = customers.iter().map(|c| c.rfm).collect();
                        fit_bgnbd_with(&rfm, opts)
                    }
                };
                fitted.map(|f| Fit {
                    params: Cnbd::from_bgnbd(&f.params),
                    log_likelihood: f.log_likelihood,
                    iterations: f.iterations,
                    evaluations: f.evaluations,
                    gradient_norm: f.gradient_norm,
                    converged: f.converged,
                    starts: f.starts,
                    message: f.message,
                })
            }
            Some(mbg) => fit_cnbd_best_k(customers, *mbg, MAX_K, opts).map(|(f, _)| f),
        };
        match fit {
            // BG/CNBD-1 is BG/NBD again: keep one of them.
            Ok(f) if fits.iter().any(|g| g.params.name() == f.params.name()) => {}
            Ok(f) => fits.push(f),
            Err(e) => {
                first_err.get_or_insert(e);
            }
        }
    }
    let candidates: Vec<Candidate> = fits.iter().map(|f| candidate(f, n)).collect();
    // Converged fits first, then the lowest BIC.
    let best = (0..fits.len()).min_by(|&i, &j| {
        let (ci, cj) = (&candidates[i], &candidates[j]);
        cj.converged
            .cmp(&ci.converged)
            .then(ci.bic.total_cmp(&cj.bic))
    });
    let Some(best) = best else {
        return Err(first_err.unwrap_or(ClvError::EmptyInput));
    };
    let fit = fits.swap_remove(best);
    let name = fit.params.name();
    let reason = reason(&name, requested, &candidates);
    Ok(Selection {
        fit,
        name,
        requested,
        reason,
        candidates,
    })
}

fn reason(name: &str, requested: VisitModel, candidates: &[Candidate]) -> String {
    if requested != VisitModel::Auto {
        return format!("{name}, as asked (--model {requested})");
    }
    let Some(chosen) = candidates.iter().find(|c| c.name == name) else {
        return name.to_string();
    };
    let others: Vec<String> = candidates
        .iter()
        .filter(|c| c.name != name)
        .map(|c| {
            format!(
                "{} {:.0}{}",
                c.name,
                c.bic - chosen.bic,
                if c.converged { "" } else { ", not converged" }
            )
        })
        .collect();
    if others.is_empty() {
        format!("{name}: the only model that could be fitted")
    } else {
        format!(
            "{name}: lowest BIC (log-likelihood {:.1}); the others' BIC is higher by: {}",
            chosen.log_likelihood,
            others.join(", ")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_both_ways() {
        for m in VisitModel::ALL {
            assert_eq!(m.as_str().parse::<VisitModel>(), Ok(m));
        }
        assert_eq!(" MBGCNBD ".parse::<VisitModel>(), Ok(VisitModel::Mbgcnbd));
        assert!(
            "pareto"
                .parse::<VisitModel>()
                .unwrap_err()
                .contains("bgnbd")
        );
    }
}
