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

use super::cnbd::{fit_cnbd, fit_cnbd_best_k_from, fit_cnbd_from};
use super::{BgNbd, Cbs, ClvError, Cnbd, Fit, FitOptions, MAX_K, Rfm, fit_bgnbd_with};

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
    /// BG/NBD's own fit, when it was one of the candidates.
    #[serde(skip)]
    pub bgnbd: Option<Fit<BgNbd>>,
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

/// Customers the candidates are compared on; above this, on a systematic sample, and the
/// winner is refitted on all of them (starting from its fit on the sample).
pub const SEARCH_SAMPLE: usize = 3_000;

/// Fits the requested model (or, for [`VisitModel::Auto`], every model and keeps the one with
/// the lowest BIC) on `customers`. The candidates are compared on at most [`SEARCH_SAMPLE`]
/// customers; the MBG family is fitted on a second thread while BG/NBD and the BG family are
/// fitted on this one. Fails only if no candidate can be fitted.
pub fn select_visit_model(
    customers: &[Cbs],
    requested: VisitModel,
    opts: &FitOptions,
) -> Result<Selection, ClvError> {
    let stride = customers.len().div_ceil(SEARCH_SAMPLE).max(1);
    if stride == 1 {
        return search(customers, requested, opts);
    }
    let sample: Vec<Cbs> = customers.iter().step_by(stride).copied().collect();
    let mut chosen = search(&sample, requested, opts)?;
    let p = chosen.fit.params;
    let refit = if p.k == 1 && !p.dropout_at_first {
        let rfm: Vec<Rfm> = customers.iter().map(|c| c.rfm).collect();
        let f = fit_bgnbd_with(&rfm, opts)?;
        chosen.bgnbd = Some(f.clone());
        as_member(f)
    } else {
        chosen.bgnbd = None;
        match fit_cnbd_from(customers, p.k, p.dropout_at_first, opts, Some(&p)) {
            Ok(f) if f.converged => f,
            _ => fit_cnbd(customers, p.k, p.dropout_at_first, opts)?,
        }
    };
    chosen.fit = refit;
    chosen.reason = format!(
        "{} (compared on every {} of the {} customers, then fitted on all)",
        chosen.reason,
        ordinal(stride),
        customers.len()
    );
    Ok(chosen)
}

/// "2nd", "3rd", "4th".
fn ordinal(n: usize) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

/// [`select_visit_model`] on all of `customers`.
fn search(
    customers: &[Cbs],
    requested: VisitModel,
    opts: &FitOptions,
) -> Result<Selection, ClvError> {
    let n = customers.len() as f64;
    let with_bg = requested != VisitModel::Mbgcnbd;
    let with_bg_family = matches!(requested, VisitModel::Auto | VisitModel::Bgcnbd);
    let with_mbg = matches!(requested, VisitModel::Auto | VisitModel::Mbgcnbd);
    let (bgnbd, bg_family, mbg_family) = std::thread::scope(|scope| {
        let mbg = with_mbg
            .then(|| scope.spawn(|| fit_cnbd_best_k_from(customers, true, MAX_K, opts, None)));
        let bgnbd = with_bg.then(|| {
            let rfm: Vec<Rfm> = customers.iter().map(|c| c.rfm).collect();
            fit_bgnbd_with(&rfm, opts)
        });
        // BG/NBD as a member of the class is the BG family's k = 1.
        let k1 = bgnbd
            .as_ref()
            .and_then(|r| r.as_ref().ok())
            .map(|f| as_member(f.clone()));
        let bg_family = with_bg_family
            .then(|| fit_cnbd_best_k_from(customers, false, MAX_K, opts, k1).map(|(f, _)| f));
        let mbg_family = mbg.map(|h| {
            h.join()
                .unwrap_or_else(|_| Err(ClvError::FitFailed("the MBG fit stopped".into())))
                .map(|(f, _)| f)
        });
        (bgnbd, bg_family, mbg_family)
    });
    let mut fits: Vec<Fit<Cnbd>> = Vec::new();
    let mut first_err = None;
    let bg_member = bgnbd.clone().map(|r| r.map(as_member));
    for fit in [bg_member, bg_family, mbg_family].into_iter().flatten() {
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
        bgnbd: bgnbd.and_then(Result::ok),
    })
}

/// A BG/NBD fit as the `k = 1`, BG member of the (M)BG/CNBD-k class.
fn as_member(f: Fit<BgNbd>) -> Fit<Cnbd> {
    Fit {
        params: Cnbd::from_bgnbd(&f.params),
        log_likelihood: f.log_likelihood,
        iterations: f.iterations,
        evaluations: f.evaluations,
        gradient_norm: f.gradient_norm,
        converged: f.converged,
        starts: f.starts,
        message: f.message,
    }
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
