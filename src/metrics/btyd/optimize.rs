//! Maximum likelihood: multi-start L-BFGS (argmin, More–Thuente line search) on squashed
//! log-parameters, with a Nelder–Mead polish when a run stops short of the tolerance.

use std::cell::RefCell;

use argmin::core::{CostFunction, Error as ArgminError, Executor, Gradient, State};
use argmin::solver::linesearch::MoreThuenteLineSearch;
use argmin::solver::neldermead::NelderMead;
use argmin::solver::quasinewton::LBFGS;

use super::{ClvError, Fit, FitOptions};

/// A model whose mean log-likelihood and its gradient are known in log-parameters.
pub(crate) trait LogModel {
    /// Mean log-likelihood per customer and its gradient w.r.t. `ln θ`; `None` if not finite.
    fn mean_ll(&self, log_theta: &[f64]) -> Option<(f64, Vec<f64>)>;
}

/// [`LogModel::mean_ll`] from a likelihood `eval` in the parameters themselves (value and
/// gradient summed over `total_w` customers): the chain rule `∂/∂ln θ = θ ∂/∂θ`, divided by
/// the customers.
pub(crate) fn mean_in_logs<const N: usize>(
    log_theta: &[f64],
    total_w: f64,
    eval: impl Fn([f64; N]) -> (f64, [f64; N]),
) -> Option<(f64, Vec<f64>)> {
    let p: [f64; N] = std::array::from_fn(|i| log_theta[i].exp());
    let (ll, g) = eval(p);
    let grad: Vec<f64> = (0..N).map(|i| g[i] * p[i] / total_w).collect();
    (ll.is_finite() && grad.iter().all(|v| v.is_finite())).then_some((ll / total_w, grad))
}

/// Bound on `|ln θ|` (in the internally scaled units).
const LOG_BOUND: f64 = 18.0;
/// Beyond this `|ln θ|` (scaled units: θ above ~1.6e5 or below ~6e-6) a parameter is taken to
/// be running off to the edge of the parameter space, and the fit is not reported as converged.
const LOG_EXTREME: f64 = 12.0;

/// Squashes an unconstrained `u` into `ln θ = B tanh(u / B)`; returns `ln θ` and `d ln θ / du`.
fn squash(u: f64) -> (f64, f64) {
    let t = (u / LOG_BOUND).tanh();
    (LOG_BOUND * t, 1.0 - t * t)
}

fn unsquash(log_theta: f64) -> f64 {
    let t = (log_theta / LOG_BOUND).clamp(-0.999_999, 0.999_999);
    LOG_BOUND * t.atanh()
}

/// Best point seen (by cost) across all evaluations, kept outside the solver so that an error
/// inside argmin (line-search failure, ...) never loses it.
#[derive(Default)]
struct Tracker {
    best: Option<(f64, Vec<f64>)>,
    memo: Option<(Vec<f64>, f64, Vec<f64>)>,
    evaluations: u64,
}

struct Objective<'a, M: LogModel> {
    model: &'a M,
    tracker: &'a RefCell<Tracker>,
}

impl<M: LogModel> Objective<'_, M> {
    /// Mean negative log-likelihood and its gradient w.r.t. the unconstrained `u`.
    fn evaluate(&self, u: &[f64]) -> Result<(f64, Vec<f64>), ArgminError> {
        // Cost and gradient are requested separately at the same point: reuse the last one.
        let memo = self
            .tracker
            .borrow()
            .memo
            .as_ref()
            .filter(|(pu, _, _)| pu.as_slice() == u)
            .map(|(_, c, g)| (*c, g.clone()));
        if let Some(hit) = memo {
            return Ok(hit);
        }
        let (log_theta, jac): (Vec<f64>, Vec<f64>) = u.iter().map(|&v| squash(v)).unzip();
        let mut tr = self.tracker.borrow_mut();
        tr.evaluations += 1;
        let Some((ll, g)) = self.model.mean_ll(&log_theta) else {
            return Err(ArgminError::msg("log-likelihood is not finite"));
        };
        let cost = -ll;
        let grad: Vec<f64> = g.iter().zip(&jac).map(|(gi, ji)| -gi * ji).collect();
        if tr.best.as_ref().is_none_or(|(c, _)| cost < *c) {
            tr.best = Some((cost, u.to_vec()));
        }
        tr.memo = Some((u.to_vec(), cost, grad.clone()));
        Ok((cost, grad))
    }
}

impl<M: LogModel> CostFunction for Objective<'_, M> {
    type Param = Vec<f64>;
    type Output = f64;
    fn cost(&self, u: &Vec<f64>) -> Result<f64, ArgminError> {
        self.evaluate(u).map(|(c, _)| c)
    }
}

impl<M: LogModel> Gradient for Objective<'_, M> {
    type Param = Vec<f64>;
    type Gradient = Vec<f64>;
    fn gradient(&self, u: &Vec<f64>) -> Result<Vec<f64>, ArgminError> {
        self.evaluate(u).map(|(_, g)| g)
    }
}

/// Outcome of one run of L-BFGS: (iterations, solver note).
fn run_lbfgs<M: LogModel>(
    model: &M,
    tracker: &RefCell<Tracker>,
    u0: Vec<f64>,
    opts: &FitOptions,
) -> (u64, String) {
    let objective = Objective { model, tracker };
    let max_iters = opts.max_iters;
    let solver = LBFGS::new(MoreThuenteLineSearch::new(), 7)
        .with_tolerance_grad((opts.gradient_tolerance * 1e-2).min(1e-8))
        .and_then(|s| s.with_tolerance_cost(1e-14));
    let solver = match solver {
        Ok(s) => s,
        Err(e) => return (0, format!("L-BFGS setup: {e}")),
    };
    match Executor::new(objective, solver)
        .configure(|s| s.param(u0).max_iters(max_iters))
        .run()
    {
        Ok(res) => {
            let state = res.state();
            let note = state.get_termination_reason().map_or_else(
                || "L-BFGS: running".to_string(),
                |r| format!("L-BFGS: {}", r.text()),
            );
            (state.get_iter(), note)
        }
        Err(e) => (0, format!("L-BFGS stopped: {e}")),
    }
}

fn run_nelder_mead<M: LogModel>(model: &M, tracker: &RefCell<Tracker>, u0: &[f64]) -> String {
    let objective = Objective { model, tracker };
    let mut simplex = vec![u0.to_vec()];
    for i in 0..u0.len() {
        let mut v = u0.to_vec();
        v[i] += 0.3;
        simplex.push(v);
    }
    let solver = match NelderMead::new(simplex).with_sd_tolerance(1e-12) {
        Ok(s) => s,
        Err(e) => return format!("Nelder-Mead setup: {e}"),
    };
    match Executor::new(objective, solver)
        .configure(|s| s.max_iters(100 * u0.len() as u64))
        .run()
    {
        Ok(res) => res
            .state()
            .get_termination_reason()
            .map_or_else(String::new, |r| format!("Nelder-Mead: {}", r.text())),
        Err(e) => format!("Nelder-Mead stopped: {e}"),
    }
}

/// Best point of a multi-start optimisation.
pub(crate) struct Optimum {
    pub(crate) log_theta: Vec<f64>,
    pub(crate) mean_ll: f64,
    gradient_norm: f64,
    iterations: u64,
    evaluations: u64,
    starts: u32,
    converged: bool,
    note: String,
}

impl Optimum {
    pub(crate) fn into_fit<P, const N: usize>(
        self,
        params: P,
        log_likelihood: f64,
        names: [&str; N],
    ) -> Fit<P> {
        let at_bound: Vec<String> = self
            .log_theta
            .iter()
            .zip(names)
            .filter(|(lt, _)| lt.abs() > LOG_EXTREME)
            .map(|(_, n)| n.to_string())
            .collect();
        let mut message = self.note;
        if !at_bound.is_empty() {
            message.push_str(&format!(
                "; parameter(s) {} ran off towards 0 or infinity: the likelihood has no interior \
                 maximum for these data (e.g. a single customer, no heterogeneity, no drop-out)",
                at_bound.join(", ")
            ));
        }
        Fit {
            params,
            log_likelihood,
            iterations: self.iterations,
            evaluations: self.evaluations,
            gradient_norm: self.gradient_norm,
            converged: self.converged && at_bound.is_empty(),
            starts: self.starts,
            message,
        }
    }
}

/// Multi-start maximisation of `model`'s mean log-likelihood from starts given in `ln θ`.
pub(crate) fn optimise<M: LogModel>(
    model: &M,
    starts: &[Vec<f64>],
    opts: &FitOptions,
) -> Result<Optimum, ClvError> {
    if !(opts.gradient_tolerance.is_finite() && opts.gradient_tolerance > 0.0) {
        return Err(ClvError::InvalidArgument(
            "gradient_tolerance must be finite and > 0".into(),
        ));
    }
    let max_starts = (opts.max_starts.max(1) as usize).min(starts.len());
    let mut best: Option<Optimum> = None;
    let mut agreeing = 0u32;
    let mut evaluations = 0u64;
    let mut tried = 0u32;
    for (i, start) in starts.iter().take(max_starts).enumerate() {
        tried = i as u32 + 1;
        let tracker = RefCell::new(Tracker::default());
        let u0: Vec<f64> = start.iter().map(|&v| unsquash(v)).collect();
        let (mut iterations, mut note) = run_lbfgs(model, &tracker, u0, opts);
        let mut candidate = summarise_run(model, &tracker);
        let needs_polish = candidate
            .as_ref()
            .is_some_and(|c| c.gradient_norm > opts.gradient_tolerance);
        if needs_polish && opts.max_iters > 1 {
            if let Some(c) = &candidate {
                let u: Vec<f64> = c.log_theta.iter().map(|&v| unsquash(v)).collect();
                let nm_note = run_nelder_mead(model, &tracker, &u);
                let u = tracker
                    .borrow()
                    .best
                    .as_ref()
                    .map_or(u, |(_, bu)| bu.clone());
                let (it2, note2) = run_lbfgs(model, &tracker, u, opts);
                iterations += it2;
                note = format!("{note}; {nm_note}; {note2}");
            }
            candidate = summarise_run(model, &tracker);
        }
        evaluations += tracker.borrow().evaluations;
        let Some(mut cand) = candidate else {
            continue;
        };
        cand.iterations = iterations;
        cand.note = note;
        cand.converged = cand.gradient_norm <= opts.gradient_tolerance;
        match &best {
            Some(b) if cand.converged && b.converged => {
                let same = (cand.mean_ll - b.mean_ll).abs() <= 1e-9 * (1.0 + b.mean_ll.abs());
                if same {
                    agreeing += 1;
                } else if cand.mean_ll > b.mean_ll {
                    agreeing = 1;
                    best = Some(cand);
                }
            }
            Some(b) if (cand.converged && !b.converged) || cand.mean_ll > b.mean_ll => {
                agreeing = u32::from(cand.converged);
                best = Some(cand);
            }
            Some(_) => {}
            None => {
                agreeing = u32::from(cand.converged);
                best = Some(cand);
            }
        }
        if agreeing >= 2 {
            break;
        }
    }
    let Some(mut b) = best else {
        return Err(ClvError::FitFailed(
            "no starting point gave a finite log-likelihood".into(),
        ));
    };
    b.evaluations = evaluations;
    b.starts = tried;
    Ok(b)
}

/// Reads the best point of a run and its gradient in log-parameters.
fn summarise_run<M: LogModel>(model: &M, tracker: &RefCell<Tracker>) -> Option<Optimum> {
    let (_, u) = tracker.borrow().best.clone()?;
    let log_theta: Vec<f64> = u.iter().map(|&v| squash(v).0).collect();
    let (ll, g) = model.mean_ll(&log_theta)?;
    let gradient_norm = g.iter().map(|v| v * v).sum::<f64>().sqrt();
    Some(Optimum {
        log_theta,
        mean_ll: ll,
        gradient_norm,
        iterations: 0,
        evaluations: 0,
        starts: 0,
        converged: false,
        note: String::new(),
    })
}
