//! (M)BG/CNBD-k: BG/NBD with regular visits.
//!
//! **PR16** — Platzer, M. & Reutterer, T. (2016), "Ticking Away the Moments: Timing Regularity
//! Helps to Better Predict Customer Activity", *Marketing Science* 35(5), 779–799 (Erlang-k
//! inter-purchase times). **RPS21** — Reutterer, T., Platzer, M. & Schröder, N. (2021),
//! "Leveraging purchase regularity for predicting customer behavior the easy way",
//! *International Journal of Research in Marketing* 38(1), 194–215: the (M)BG/CNBD-k class.
//! The R package BTYDplus (M. Platzer, `R/mbg-cnbd-k.R`) is the reference implementation the
//! likelihood and P(alive) below were checked against.
//!
//! # The model
//!
//! While alive, a customer's inter-visit times are Erlang-k with rate `λ` (mean `k/λ`), and
//! `λ ~ Gamma(r, α)` across customers. After each repeat visit the customer drops out for good
//! with probability `p ~ Beta(a, b)`; in the **MBG** variant also right after the first visit
//! (so a one-time buyer can be gone). `k = 1` is BG/NBD (FHL05a) and MBG/NBD (Batislam,
//! Denizel & Filiztekin 2007).
//!
//! An Erlang-k clock is a Poisson process of rate `λ` whose every k-th tick is a visit. That
//! view gives every formula here (derived for this file; `d = 1` for MBG, 0 for BG,
//! `δ = 1` for MBG or `x > 0`, `s = T − t_x`):
//!
//! - Likelihood of `(x, t_x, T, litt)`, `litt = Σ ln(inter-visit time)`:
//!   `ln L = (k−1) litt − x ln((k−1)!) + ln B(a, b+x+d) − ln B(a, b)
//!   + lnΓ(r+kx) − lnΓ(r) + r ln α − (r+kx) ln(α+T) + ln(S1 + S2)`, with
//!   `S1 = δ a/(b+x−1+d) ((α+T)/(α+t_x))^{r+kx}` (dropped out after the last visit) and
//!   `S2 = Σ_{j<k} (r+kx)_j s^j / (j! (α+T)^j)` (alive, `j` ticks since the last visit).
//!   This is BTYDplus's `xbgcnbd.LL`.
//! - `P(alive) = S2 / (S1 + S2)`; given alive, the clock has run `j` ticks with probability
//!   `c_j / S2` (the terms of `S2`), and then `λ ~ Gamma(r+kx+j, α+T)` and
//!   `p ~ Beta(a, b+x+d)`.
//! - Given alive, `j` and `λ`, the n-th future visit is the `(nk−j)`-th future tick, and the
//!   customer is still there to make it with probability `(1−p)^{n−1}`. With `N(t)` the ticks
//!   in `t` (negative binomial once `λ` is integrated out) and `W(c) = Σ_{n<c} (b')_n/(a+b')_n`
//!   the expected visits among the first `c` opportunities (`b' = b+x+d`),
//!   `E[Y(t) | alive, j] = Σ_m P(N(t) = m) W(⌊(m+j)/k⌋)`, summed exactly (BTYDplus instead
//!   approximates this with the BG/NBD formula and a cohort-level bias correction).
//!   For `k = 1` the sum has BG/NBD's closed form (FHL05a eq. 10, with `b + d` for `b`).
//! - No visit in `(T, T+t]`: dropped out, or alive with fewer than `k − j` ticks in `t`.

use serde::{Deserialize, Serialize};
use statrs::function::gamma::{digamma, ln_gamma};

use super::bgnbd::{time_scale, visit_model_starts};
use super::optimize::{LogModel, mean_in_logs, optimise};
use super::special::inv_one_plus_exp;
use super::{
    BgNbd, ClvError, Discounting, Fit, FitOptions, Rfm, check_param, check_rfm, horizon_arg,
    rfm_arg,
};

/// The largest regularity `k` considered (BTYDplus searches 1 to 12 too).
pub const MAX_K: u32 = 12;

/// One customer's summary for the regularity models: [`Rfm`] and the sum of the logarithms of
/// their inter-visit times (BTYDplus's `litt`), in the same time unit; 0 when `x = 0`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Cbs {
    pub rfm: Rfm,
    pub litt: f64,
}

/// (M)BG/CNBD-k parameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Cnbd {
    /// Regularity: inter-visit times are Erlang-k (1 = exponential, as in BG/NBD).
    pub k: u32,
    /// Shape of the gamma distribution of the Erlang rate `λ`.
    pub r: f64,
    /// Rate of that gamma distribution, in periods (the mean visit rate is `r / (k α)`).
    pub alpha: f64,
    /// First shape of the drop-out beta distribution.
    pub a: f64,
    /// Second shape of the drop-out beta distribution.
    pub b: f64,
    /// MBG: a customer may also drop out right after the first visit.
    pub dropout_at_first: bool,
}

/// What the model believes about a customer at the end of their window.
#[derive(Debug, Clone, Copy)]
struct Posterior {
    p_alive: f64,
    /// `P(j ticks since the last visit | alive)`, `j < k`.
    phase: [f64; MAX_K as usize],
    /// Shape of `λ` given alive and `j = 0` (`r + kx`; `+ j` for phase `j`).
    shape: f64,
    /// Rate of `λ` given alive (`α + T`).
    rate: f64,
    /// Second shape of `p` given alive (`b + x + d`).
    b: f64,
}

impl Cnbd {
    /// BG/NBD as a member of the class (`k = 1`, no drop-out at the first visit).
    pub fn from_bgnbd(m: &BgNbd) -> Cnbd {
        Cnbd {
            k: 1,
            r: m.r,
            alpha: m.alpha,
            a: m.a,
            b: m.b,
            dropout_at_first: false,
        }
    }

    /// "BG/NBD", "MBG/CNBD-2", ...
    pub fn name(&self) -> String {
        let family = if self.dropout_at_first { "MBG" } else { "BG" };
        if self.k == 1 {
            format!("{family}/NBD")
        } else {
            format!("{family}/CNBD-{}", self.k)
        }
    }

    /// Checks that `k` is in `1..=MAX_K` and the other parameters are finite and > 0.
    pub fn validate(&self) -> Result<(), ClvError> {
        if !(1..=MAX_K).contains(&self.k) {
            return Err(ClvError::InvalidArgument(format!(
                "regularity k = {} must be from 1 to {MAX_K}",
                self.k
            )));
        }
        check_param("r", self.r)?;
        check_param("alpha", self.alpha)?;
        check_param("a", self.a)?;
        check_param("b", self.b)
    }

    fn d(&self) -> f64 {
        if self.dropout_at_first { 1.0 } else { 0.0 }
    }

    fn kf(&self) -> f64 {
        f64::from(self.k)
    }

    /// Log-likelihood of the customers (see the module documentation; BTYDplus
    /// `xbgcnbd.cbs.LL`).
    pub fn log_likelihood(&self, customers: &[Cbs]) -> Result<f64, ClvError> {
        self.validate()?;
        if customers.is_empty() {
            return Err(ClvError::EmptyInput);
        }
        let data = CnbdData::new(customers, self.k, self.dropout_at_first, 1.0)?;
        let (ll, _) = data.eval([self.r, self.alpha, self.a, self.b], false);
        let ll = ll + data.constant;
        if ll.is_finite() {
            Ok(ll)
        } else {
            Err(ClvError::InvalidArgument(
                "log-likelihood is not finite at these parameters".into(),
            ))
        }
    }

    /// P(alive) and the posterior of the clock's phase, `λ` and `p` given alive.
    fn posterior(&self, c: &Rfm) -> Posterior {
        let kf = self.kf();
        let d = self.d();
        let shape = self.r + kf * c.x;
        let rate = self.alpha + c.t;
        let s = c.t - c.t_x;
        let mut phase = [0.0; MAX_K as usize];
        // ln c_j, then normalised.
        phase[0] = 0.0;
        let step = if s > 0.0 {
            (s / rate).ln()
        } else {
            f64::NEG_INFINITY
        };
        let mut max = 0.0_f64;
        for j in 1..self.k as usize {
            let jf = j as f64;
            phase[j] = phase[j - 1] + (shape + jf - 1.0).ln() + step - jf.ln();
            max = max.max(phase[j]);
        }
        let mut sum = 0.0;
        for v in phase.iter_mut().take(self.k as usize) {
            *v = (*v - max).exp();
            sum += *v;
        }
        let ln_s2 = max + sum.ln();
        for v in phase.iter_mut().take(self.k as usize) {
            *v /= sum;
        }
        let p_alive = if c.x > 0.0 || self.dropout_at_first {
            let ln_s1 = self.a.ln() - (self.b + c.x - 1.0 + d).ln()
                + shape * ((c.t - c.t_x) / (self.alpha + c.t_x)).ln_1p();
            inv_one_plus_exp(ln_s1 - ln_s2)
        } else {
            1.0
        };
        Posterior {
            p_alive,
            phase,
            shape,
            rate,
            b: self.b + c.x + d,
        }
    }

    /// Probability that a customer with history `c` is still a customer at `T`:
    /// `S2 / (S1 + S2)` (BTYDplus `xbgcnbd.PAlive`).
    pub fn p_alive(&self, c: &Rfm) -> Result<f64, ClvError> {
        self.validate()?;
        rfm_arg(c)?;
        Ok(self.posterior(c).p_alive)
    }

    /// Expected visits in `(T, T+t]` given alive, from the posterior `post`.
    fn expected_alive(
        &self,
        post: &Posterior,
        x: f64,
        big_t: f64,
        t: f64,
    ) -> Result<f64, ClvError> {
        if t == 0.0 {
            return Ok(0.0);
        }
        if self.k == 1 {
            // FHL05a eq. (10) without P(alive): the exact closed form (b + d for b).
            let bg = BgNbd {
                r: self.r,
                alpha: self.alpha,
                a: self.a,
                b: self.b + self.d(),
            };
            return bg.expected_core(x, big_t, t);
        }
        let mut total = 0.0;
        for j in 0..self.k {
            let w = post.phase[j as usize];
            if w > 0.0 {
                total += w * expected_in_phase(
                    self.k,
                    j,
                    post.shape + f64::from(j),
                    post.rate,
                    self.a,
                    post.b,
                    t,
                );
            }
        }
        if total.is_finite() {
            Ok(total)
        } else {
            Err(ClvError::InvalidArgument(format!(
                "expected visits not finite (x = {x}, T = {big_t}, t = {t})"
            )))
        }
    }

    /// Expected number of visits in `(T, T+t]` of a customer with history `c`.
    pub fn conditional_expected_transactions(&self, c: &Rfm, t: f64) -> Result<f64, ClvError> {
        self.validate()?;
        rfm_arg(c)?;
        horizon_arg(t)?;
        let post = self.posterior(c);
        Ok(post.p_alive * self.expected_alive(&post, c.x, c.t, t)?)
    }

    /// Expected repeat visits in `(0, t]` of a customer who just made their first visit.
    pub fn expected_transactions(&self, t: f64) -> Result<f64, ClvError> {
        let fresh = Rfm {
            x: 0.0,
            t_x: 0.0,
            t: 0.0,
        };
        self.conditional_expected_transactions(&fresh, t)
    }

    /// Discounted expected visits over the horizon of `d` (see [`Discounting`]).
    pub fn discounted_expected_transactions(
        &self,
        c: &Rfm,
        d: &Discounting,
    ) -> Result<f64, ClvError> {
        self.validate()?;
        rfm_arg(c)?;
        let post = self.posterior(c);
        d.discount(|tk| Ok(post.p_alive * self.expected_alive(&post, c.x, c.t, tk)?))
    }

    /// Probability of no visit in `(T, T+t]`: gone, or alive with fewer than `k − j` ticks of
    /// the clock in `t`.
    pub fn p_no_transaction(&self, c: &Rfm, t: f64) -> Result<f64, ClvError> {
        self.validate()?;
        rfm_arg(c)?;
        horizon_arg(t)?;
        let post = self.posterior(c);
        let mut quiet = 0.0;
        for j in 0..self.k {
            quiet += post.phase[j as usize]
                * nbd_below(self.k - j, post.shape + f64::from(j), post.rate, t);
        }
        Ok((1.0 - post.p_alive + post.p_alive * quiet).clamp(0.0, 1.0))
    }

    /// Median of the customer's next full inter-visit time, as the model sees their rate at
    /// `T` (given alive): `P(G > g) = Σ_j P(j | alive) P(NBD(r+kx+j, α+T; g) < k) = 1/2`.
    /// `None` if it is beyond [`MEDIAN_LIMIT`] periods.
    pub fn median_gap(&self, c: &Rfm) -> Result<Option<f64>, ClvError> {
        self.validate()?;
        rfm_arg(c)?;
        let post = self.posterior(c);
        Ok(median(|g| {
            (0..self.k)
                .map(|j| {
                    post.phase[j as usize]
                        * nbd_below(self.k, post.shape + f64::from(j), post.rate, g)
                })
                .sum()
        }))
    }

    /// Median wait from `T` to the customer's next visit if they are still a customer: the
    /// clock has run `j` of its `k` ticks (with its posterior probability), and the visit
    /// comes `k − j` ticks later. `None` if it is beyond [`MEDIAN_LIMIT`] periods.
    pub fn median_wait(&self, c: &Rfm) -> Result<Option<f64>, ClvError> {
        self.validate()?;
        rfm_arg(c)?;
        let post = self.posterior(c);
        Ok(median(|w| {
            (0..self.k)
                .map(|j| {
                    post.phase[j as usize]
                        * nbd_below(self.k - j, post.shape + f64::from(j), post.rate, w)
                })
                .sum()
        }))
    }
}

/// Medians beyond this many periods are reported as none.
pub const MEDIAN_LIMIT: f64 = 1e4;

/// The `t` at which a survival function `longer(t) = P(time > t)`, decreasing from 1, falls
/// to one half (bracketed by doubling, then bisected to 0.001).
fn median(longer: impl Fn(f64) -> f64) -> Option<f64> {
    let (mut lo, mut hi) = (0.0, 1.0);
    while longer(hi) > 0.5 {
        lo = hi;
        hi *= 2.0;
        if hi > MEDIAN_LIMIT {
            return None;
        }
    }
    // To a thousandth of a period: dates are days, periods weeks.
    while hi - lo > 1e-3 {
        let mid = 0.5 * (lo + hi);
        if longer(mid) > 0.5 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Some(0.5 * (lo + hi))
}

/// `P(N < n)` for `N` negative binomial: the ticks in `t` of a Poisson clock whose rate is
/// `Gamma(shape, rate)`: `P(N = m) = Γ(shape+m)/(Γ(shape) m!) (rate/(rate+t))^shape
/// (t/(rate+t))^m`.
fn nbd_below(n: u32, shape: f64, rate: f64, t: f64) -> f64 {
    if t <= 0.0 {
        return 1.0;
    }
    let z = t / (rate + t);
    let mut p = (-shape * (t / rate).ln_1p()).exp();
    let mut total = 0.0;
    for m in 0..n {
        total += p;
        let mf = f64::from(m);
        p *= (shape + mf) / (mf + 1.0) * z;
    }
    total.min(1.0)
}

/// Terms below this share of the largest are left out of the negative-binomial sums.
const NBD_TAIL: f64 = 1e-17;

/// `E[Y(t) | alive, j] = Σ_m P(N(t) = m) W(⌊(m+j)/k⌋)` with `N(t)` negative binomial
/// (`λ ~ Gamma(shape, rate)`), `W(c) = Σ_{n<c} u_n`, `u_0 = 1`,
/// `u_n = u_{n−1} (b+n−1)/(a+b+n−1)`: the chance that the customer is still there for their
/// (n+1)-th future visit, `p ~ Beta(a, b)` integrated out.
///
/// The sum runs outward from the mode of `N` until the terms are negligible; `W` is carried
/// along (it changes every `k` ticks), so the cost is the spread of `N` plus `mode / k`.
fn expected_in_phase(k: u32, j: u32, shape: f64, rate: f64, a: f64, b: f64, t: f64) -> f64 {
    let z = t / (rate + t);
    let ln_z = z.ln();
    let ln_1mz = -(t / rate).ln_1p();
    let mode = if shape > 1.0 {
        ((shape - 1.0) * t / rate).floor()
    } else {
        0.0
    };
    let ln_pmf = |m: f64| {
        ln_gamma(shape + m) - ln_gamma(shape) - ln_gamma(m + 1.0) + shape * ln_1mz + m * ln_z
    };
    // W and u at the mode's number of visit opportunities c0.
    let kf = f64::from(k);
    let c0 = ((mode + f64::from(j)) / kf).floor();
    let (mut w_at, mut u_at) = (0.0, 1.0);
    let mut n = 0.0;
    while n < c0 {
        w_at += u_at;
        u_at *= (b + n) / (a + b + n);
        n += 1.0;
    }
    let p_mode = ln_pmf(mode).exp();
    // Upward from the mode (inclusive).
    let mut total = 0.0;
    let (mut p, mut w, mut u, mut c, mut m) = (p_mode, w_at, u_at, c0, mode);
    loop {
        total += p * w;
        let ratio = (shape + m) / (m + 1.0) * z;
        p *= ratio;
        m += 1.0;
        if ((m + f64::from(j)) / kf).floor() > c {
            w += u;
            u *= (b + c) / (a + b + c);
            c += 1.0;
        }
        if (p < NBD_TAIL * p_mode && ratio < 1.0) || p == 0.0 || !p.is_finite() {
            break;
        }
    }
    // Downward from below the mode.
    let (mut p, mut w, mut u, mut c, mut m) = (p_mode, w_at, u_at, c0, mode);
    while m > 0.0 {
        p *= m / ((shape + m - 1.0) * z);
        m -= 1.0;
        if ((m + f64::from(j)) / kf).floor() < c {
            c -= 1.0;
            u *= (a + b + c) / (b + c);
            w -= u;
        }
        total += p * w.max(0.0);
        if p < NBD_TAIL * p_mode || p == 0.0 {
            break;
        }
    }
    total
}

/// Deduplicated `(x, t_x, T)` rows for the likelihood at a fixed `k`. The `litt` part of the
/// likelihood does not depend on `(r, α, a, b)`: it is kept apart as `constant`.
struct CnbdData {
    k: f64,
    d: f64,
    /// `(x, t_x, T, weight)`.
    rows: Vec<(f64, f64, f64, f64)>,
    total_w: f64,
    /// `Σ (k−1) litt − x ln((k−1)!)`, in the data's time unit.
    constant: f64,
}

impl CnbdData {
    fn new(
        customers: &[Cbs],
        k: u32,
        dropout_at_first: bool,
        scale: f64,
    ) -> Result<Self, ClvError> {
        let kf = f64::from(k);
        let ln_fact: f64 = (1..k).map(|i| f64::from(i).ln()).sum();
        let mut constant = 0.0;
        let mut keys = Vec::with_capacity(customers.len());
        for (index, c) in customers.iter().enumerate() {
            check_rfm(&c.rfm).map_err(|reason| ClvError::InvalidInput { index, reason })?;
            if !c.litt.is_finite() {
                return Err(ClvError::InvalidInput {
                    index,
                    reason: format!("litt = {} must be finite", c.litt),
                });
            }
            constant += (kf - 1.0) * c.litt - c.rfm.x * ln_fact;
            keys.push((c.rfm.x, c.rfm.t_x / scale, c.rfm.t / scale));
        }
        keys.sort_by(|l, r| {
            l.0.total_cmp(&r.0)
                .then(l.1.total_cmp(&r.1))
                .then(l.2.total_cmp(&r.2))
        });
        let mut rows: Vec<(f64, f64, f64, f64)> = Vec::new();
        for (x, tx, t) in keys {
            match rows.last_mut() {
                Some(last) if (last.0, last.1, last.2) == (x, tx, t) => last.3 += 1.0,
                _ => rows.push((x, if x > 0.0 { tx } else { 0.0 }, t, 1.0)),
            }
        }
        Ok(Self {
            k: kf,
            d: if dropout_at_first { 1.0 } else { 0.0 },
            rows,
            total_w: customers.len() as f64,
            constant,
        })
    }

    fn total_x(&self) -> f64 {
        self.rows.iter().map(|r| r.0 * r.3).sum()
    }

    /// Log-likelihood without `constant`, and its gradient with respect to `(r, α, a, b)`.
    fn eval(&self, p: [f64; 4], want_grad: bool) -> (f64, [f64; 4]) {
        let [r, alpha, a, b] = p;
        let (k, d) = (self.k, self.d);
        let ln_alpha = alpha.ln();
        let (lg_r, lg_b, lg_ab) = (ln_gamma(r), ln_gamma(b), ln_gamma(a + b));
        let (dg_r, dg_b, dg_ab) = if want_grad {
            (digamma(r), digamma(b), digamma(a + b))
        } else {
            (0.0, 0.0, 0.0)
        };
        let mut ll = 0.0;
        let mut g = [0.0; 4];
        // Rows are sorted by x: per-x terms are computed once per distinct x.
        let mut last_x = f64::NAN;
        let (mut px, mut gx) = (0.0, [0.0; 4]);
        for &(x, tx, t, w) in &self.rows {
            if x != last_x {
                last_x = x;
                let rk = r + k * x;
                // ln B(a, b+x+d) − ln B(a, b) + lnΓ(r+kx) − lnΓ(r) + r ln α
                px = ln_gamma(b + x + d) - ln_gamma(a + b + x + d) - lg_b + lg_ab + ln_gamma(rk)
                    - lg_r
                    + r * ln_alpha;
                if want_grad {
                    let dg_abx = digamma(a + b + x + d);
                    gx = [
                        digamma(rk) - dg_r + ln_alpha,
                        r / alpha,
                        dg_ab - dg_abx,
                        digamma(b + x + d) - dg_abx - dg_b + dg_ab,
                    ];
                }
            }
            let rk = r + k * x;
            let l_t = (alpha + t).ln();
            // ln S2 and its derivatives: terms c_j = (rk)_j (s/(α+T))^j / j!.
            let s = t - tx;
            let (mut ln_c, mut dr_c) = (0.0, 0.0);
            let (mut s2, mut s2_dr, mut s2_da) = (1.0, 0.0, 0.0);
            if s > 0.0 && k > 1.0 {
                let step = (s / (alpha + t)).ln();
                let mut j = 1.0;
                while j < k {
                    ln_c += (rk + j - 1.0).ln() + step - j.ln();
                    dr_c += 1.0 / (rk + j - 1.0);
                    let cj = ln_c.exp();
                    s2 += cj;
                    s2_dr += cj * dr_c;
                    s2_da -= cj * j / (alpha + t);
                    j += 1.0;
                }
            }
            let ln_s2 = s2.ln();
            let has_s1 = x > 0.0 || d > 0.0;
            let ln_s1 = if has_s1 {
                a.ln() - (b + x - 1.0 + d).ln() + rk * (l_t - (alpha + tx).ln())
            } else {
                f64::NEG_INFINITY
            };
            let (hi, lo) = if ln_s1 > ln_s2 {
                (ln_s1, ln_s2)
            } else {
                (ln_s2, ln_s1)
            };
            let ln_sum = hi + (lo - hi).exp().ln_1p();
            ll += w * (px - rk * l_t + ln_sum);
            if want_grad {
                let w1 = if has_s1 { (ln_s1 - ln_sum).exp() } else { 0.0 };
                let w2 = (ln_s2 - ln_sum).exp();
                let inv_t = 1.0 / (alpha + t);
                let inv_tx = 1.0 / (alpha + tx);
                g[0] += w * (gx[0] - l_t + w1 * (l_t - (alpha + tx).ln()) + w2 * s2_dr / s2);
                g[1] += w * (gx[1] - rk * inv_t + w1 * rk * (inv_t - inv_tx) + w2 * s2_da / s2);
                g[2] += w * (gx[2] + if has_s1 { w1 / a } else { 0.0 });
                g[3] += w * (gx[3] - if has_s1 { w1 / (b + x - 1.0 + d) } else { 0.0 });
            }
        }
        (ll, g)
    }
}

impl LogModel for CnbdData {
    fn mean_ll(&self, log_theta: &[f64]) -> Option<(f64, Vec<f64>)> {
        mean_in_logs(log_theta, self.total_w, |p| self.eval(p, true))
    }
}

/// Fits (M)BG/CNBD-k at a given `k` by maximum likelihood, with the optimiser of
/// [`super::fit_bgnbd_with`] (times divided internally by the mean `T`, multi-start L-BFGS on
/// log-parameters). The reported log-likelihood includes the `litt` terms, so fits at
/// different `k` can be compared.
pub fn fit_cnbd(
    customers: &[Cbs],
    k: u32,
    dropout_at_first: bool,
    opts: &FitOptions,
) -> Result<Fit<Cnbd>, ClvError> {
    fit_cnbd_from(customers, k, dropout_at_first, opts, None)
}

/// [`fit_cnbd`], starting from a fit at another `k` when there is one (`warm`): its `α`
/// scaled to keep the mean visit rate `r / (k α)`, one start only.
pub(crate) fn fit_cnbd_from(
    customers: &[Cbs],
    k: u32,
    dropout_at_first: bool,
    opts: &FitOptions,
    warm: Option<&Cnbd>,
) -> Result<Fit<Cnbd>, ClvError> {
    if customers.is_empty() {
        return Err(ClvError::EmptyInput);
    }
    if !(1..=MAX_K).contains(&k) {
        return Err(ClvError::InvalidArgument(format!(
            "regularity k = {k} must be from 1 to {MAX_K}"
        )));
    }
    let scale = time_scale(customers.iter().map(|c| c.rfm.t));
    let data = CnbdData::new(customers, k, dropout_at_first, scale)?;
    let total_x = data.total_x();
    if total_x == 0.0 {
        return Err(ClvError::NoRepeatTransactions);
    }
    let (starts, opts) = match warm {
        Some(w) => (
            vec![vec![
                w.r.ln(),
                (w.alpha * f64::from(w.k) / f64::from(k) / scale).ln(),
                w.a.ln(),
                w.b.ln(),
            ]],
            FitOptions {
                max_starts: 1,
                ..*opts
            },
        ),
        // Mean visits per (scaled) period; `α` starts where E[λ]/k matches it.
        None => (
            visit_model_starts((total_x / data.total_w).max(1e-6) * f64::from(k)),
            *opts,
        ),
    };
    let best = optimise(&data, &starts, &opts)?;
    let lt = &best.log_theta;
    let params = Cnbd {
        k,
        r: lt[0].exp(),
        alpha: lt[1].exp() * scale,
        a: lt[2].exp(),
        b: lt[3].exp(),
        dropout_at_first,
    };
    params
        .validate()
        .map_err(|e| ClvError::FitFailed(e.to_string()))?;
    // In the caller's time unit (the scaled fit differs by Σ x ln(scale), see FHL05a).
    let log_likelihood = params.log_likelihood(customers)?;
    Ok(best.into_fit(params, log_likelihood, ["r", "alpha", "a", "b"]))
}

/// The `(k, log-likelihood)` of each fit [`fit_cnbd_best_k`] tried.
pub type Tried = Vec<(u32, f64)>;

/// Fits (M)BG/CNBD-k for `k = 1, 2, ...` up to `max_k` and keeps the best likelihood. Each
/// `k` starts from the fit at `k − 1` (a fresh multi-start fit if that one does not
/// converge), and the search stops at the first `k` whose likelihood is lower than the one
/// before: the likelihood is unimodal in `k` on every data set tried (BTYDplus waits for two
/// falls in a row, at the cost of more fits). Returns the best fit and every
/// `(k, log-likelihood)` tried.
pub fn fit_cnbd_best_k(
    customers: &[Cbs],
    dropout_at_first: bool,
    max_k: u32,
    opts: &FitOptions,
) -> Result<(Fit<Cnbd>, Tried), ClvError> {
    fit_cnbd_best_k_from(customers, dropout_at_first, max_k, opts, None)
}

/// [`fit_cnbd_best_k`], with the fit at `k = 1` given when the caller has it (BG/NBD for the
/// BG family).
pub fn fit_cnbd_best_k_from(
    customers: &[Cbs],
    dropout_at_first: bool,
    max_k: u32,
    opts: &FitOptions,
    k1: Option<Fit<Cnbd>>,
) -> Result<(Fit<Cnbd>, Tried), ClvError> {
    let mut best: Option<Fit<Cnbd>> = None;
    let mut previous: Option<Cnbd> = None;
    let mut tried: Tried = Vec::new();
    let mut given = k1.filter(|f| f.params.k == 1 && f.params.dropout_at_first == dropout_at_first);
    for k in 1..=max_k.clamp(1, MAX_K) {
        let fit = match given.take() {
            Some(f) => f,
            None => {
                let warm = fit_cnbd_from(customers, k, dropout_at_first, opts, previous.as_ref());
                match warm {
                    Ok(f) if f.converged || previous.is_none() => f,
                    _ => match fit_cnbd(customers, k, dropout_at_first, opts) {
                        Ok(f) => f,
                        Err(e) if best.is_none() => return Err(e),
                        Err(_) => break,
                    },
                }
            }
        };
        tried.push((k, fit.log_likelihood));
        previous = Some(fit.params);
        let better = best
            .as_ref()
            .is_none_or(|b| fit.log_likelihood > b.log_likelihood);
        if better {
            best = Some(fit);
        } else {
            break;
        }
    }
    best.map(|b| (b, tried)).ok_or(ClvError::EmptyInput)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::btyd::cdnow::cdnow;
    use crate::metrics::btyd::testkit::{PUBLISHED, Rng, assert_gradient, close};

    /// One simulated customer: calibration summary, and visits in the holdout.
    struct Simulated {
        cbs: Cbs,
        holdout: f64,
        alive: bool,
    }

    /// The (M)BG/CNBD-k generative process (RPS21; BTYDplus `xbgcnbd.GenerateData`): λ ~
    /// Gamma(r, α), p ~ Beta(a, b); Erlang-k(λ) inter-visit times; drop-out with probability
    /// p after each repeat visit (MBG: after the first too). Customers join uniformly over
    /// the first `join` weeks of a calibration of `t_cal` weeks, followed by `t_star` weeks.
    fn simulate(
        n: usize,
        m: &Cnbd,
        (t_cal, join, t_star): (f64, f64, f64),
        rng: &mut Rng,
    ) -> Vec<Simulated> {
        (0..n)
            .map(|_| {
                let t_obs = t_cal - rng.uniform() * join;
                let lambda = rng.gamma(m.r, m.alpha);
                let p = rng.beta(m.a, m.b);
                let mut alive = !(m.dropout_at_first && rng.uniform() < p);
                let (mut t, mut x, mut t_x, mut litt, mut holdout) = (0.0, 0.0, 0.0, 0.0, 0.0);
                while alive {
                    let gap = rng.gamma(f64::from(m.k), lambda);
                    t += gap;
                    if t > t_obs + t_star {
                        break;
                    }
                    if t <= t_obs {
                        x += 1.0;
                        t_x = t;
                        litt += gap.ln();
                    } else {
                        holdout += 1.0;
                    }
                    alive = rng.uniform() >= p;
                }
                // Alive at the end of calibration: not dropped out by then.
                let alive_at_cal = alive || t > t_obs;
                Simulated {
                    cbs: Cbs {
                        rfm: Rfm { x, t_x, t: t_obs },
                        litt,
                    },
                    holdout,
                    alive: alive_at_cal,
                }
            })
            .collect()
    }

    const TRUTH: Cnbd = Cnbd {
        k: 3,
        r: 0.85,
        alpha: 1.45,
        a: 0.79,
        b: 2.42,
        dropout_at_first: true,
    };

    fn cbs(x: f64, t_x: f64, t: f64, litt: f64) -> Cbs {
        Cbs {
            rfm: Rfm { x, t_x, t },
            litt,
        }
    }

    #[test]
    fn log_likelihood_matches_btydplus() {
        // BTYDplus's own check of xbgcnbd_ll_cpp (src/slice-sampling.cpp): k = 3, r = 0.5,
        // α = 2, a = 0.3, b = 0.6, BG; (x, t_x, T, litt) = (3, 12, 14, 3) and (4, 12, 14, 3).
        let m = Cnbd {
            k: 3,
            r: 0.5,
            alpha: 2.0,
            a: 0.3,
            b: 0.6,
            dropout_at_first: false,
        };
        let one = m.log_likelihood(&[cbs(3.0, 12.0, 14.0, 3.0)]).unwrap();
        assert!((one - -10.42500).abs() < 5e-6, "{one}");
        let two = m.log_likelihood(&[cbs(4.0, 12.0, 14.0, 3.0)]).unwrap();
        assert!((two - -12.22396).abs() < 5e-6, "{two}");
    }

    #[test]
    fn k_one_is_bgnbd() {
        let customers: Vec<Cbs> = cdnow()
            .iter()
            .map(|c| Cbs {
                rfm: c.rfm,
                litt: 0.0,
            })
            .collect();
        let rfm: Vec<Rfm> = customers.iter().map(|c| c.rfm).collect();
        let m = Cnbd::from_bgnbd(&PUBLISHED);
        let ll = m.log_likelihood(&customers).unwrap();
        close(ll, PUBLISHED.log_likelihood(&rfm).unwrap(), 1e-12);
        let c = Rfm {
            x: 2.0,
            t_x: 30.43,
            t: 38.86,
        };
        close(
            m.p_alive(&c).unwrap(),
            PUBLISHED.p_alive(&c).unwrap(),
            1e-14,
        );
        let e = m.conditional_expected_transactions(&c, 39.0).unwrap();
        assert!((e - 1.226).abs() <= 0.001, "{e}");
        // The tick series for k = 1 agrees with BG/NBD's closed form (FHL05a eq. 10).
        let post = m.posterior(&c);
        let series = expected_in_phase(1, 0, post.shape, post.rate, m.a, post.b, 39.0);
        let closed = PUBLISHED.expected_core(c.x, c.t, 39.0).unwrap();
        close(series, closed, 1e-10);
        // The same for a heavy buyer over ten years.
        let busy = Rfm {
            x: 150.0,
            t_x: 100.0,
            t: 104.0,
        };
        let post = m.posterior(&busy);
        let series = expected_in_phase(1, 0, post.shape, post.rate, m.a, post.b, 520.0);
        close(
            series,
            PUBLISHED.expected_core(150.0, 104.0, 520.0).unwrap(),
            1e-9,
        );
        // And the fit is BG/NBD's.
        let fit = fit_cnbd(&customers, 1, false, &FitOptions::default()).unwrap();
        close(fit.params.r, 0.243, 0.01);
        close(fit.params.b, 2.426, 0.01);
        assert!((fit.log_likelihood - -9582.4).abs() <= 0.1, "{fit:?}");
    }

    #[test]
    fn analytic_gradients_match_finite_differences() {
        let mut rng = Rng(7);
        let sim = simulate(300, &TRUTH, (52.0, 12.0, 0.0), &mut rng);
        let customers: Vec<Cbs> = sim.iter().map(|s| s.cbs).collect();
        for (k, mbg) in [(1, false), (3, false), (3, true), (5, true)] {
            let data = CnbdData::new(&customers, k, mbg, 40.0).unwrap();
            let lt = [0.7_f64.ln(), 0.05_f64.ln(), 0.9_f64.ln(), 2.0_f64.ln()];
            assert_gradient(&data, &lt);
        }
    }

    #[test]
    fn predictions_match_the_process() {
        // With the true parameters, the model's P(alive), holdout visits and quiet spells
        // add up to what the simulated customers did (BTYDplus checks 5%).
        let mut rng = Rng(11);
        let sim = simulate(20_000, &TRUTH, (52.0, 12.0, 26.0), &mut rng);
        let (mut alive, mut p_alive, mut visits, mut expected) = (0.0, 0.0, 0.0, 0.0);
        let (mut quiet, mut p_quiet) = (0.0, 0.0);
        for s in &sim {
            let c = &s.cbs.rfm;
            alive += f64::from(u8::from(s.alive));
            p_alive += TRUTH.p_alive(c).unwrap();
            visits += s.holdout;
            expected += TRUTH.conditional_expected_transactions(c, 26.0).unwrap();
            quiet += f64::from(u8::from(s.holdout == 0.0));
            p_quiet += TRUTH.p_no_transaction(c, 26.0).unwrap();
        }
        // Seed 11: 7,739 alive vs 7,797; 20,038 visits vs 19,893; 14,276 quiet vs 14,244.
        close(p_alive, alive, 0.02);
        close(expected, visits, 0.02);
        close(p_quiet, quiet, 0.01);
        // Unconditional: a new customer's expected repeat visits in their first 52 weeks.
        let fresh = simulate(20_000, &TRUTH, (0.0, 0.0, 52.0), &mut rng);
        let mean = fresh.iter().map(|s| s.holdout).sum::<f64>() / 20_000.0;
        close(TRUTH.expected_transactions(52.0).unwrap(), mean, 0.04);
    }

    #[test]
    fn regular_customers_are_judged_by_their_rhythm() {
        let m = Cnbd { k: 4, ..TRUTH };
        // Weekly for a year, then silent 3 weeks: with Erlang-4 gaps that is long.
        let late = Rfm {
            x: 50.0,
            t_x: 49.0,
            t: 52.0,
        };
        let on_time = Rfm { t_x: 51.5, ..late };
        let bg = Cnbd { k: 1, ..m };
        assert!(m.p_alive(&late).unwrap() < bg.p_alive(&late).unwrap());
        assert!(m.p_alive(&on_time).unwrap() > m.p_alive(&late).unwrap());
        // A customer just past their usual gap is almost certain to come within 2 weeks.
        let p = m.p_no_transaction(&on_time, 2.0).unwrap();
        assert!(p < 0.2, "{p}");
        // Their usual gap is about a week; half a week into it, the rest is shorter.
        let g = m.median_gap(&on_time).unwrap().unwrap();
        assert!((0.8..1.3).contains(&g), "{g}");
        let w = m.median_wait(&on_time).unwrap().unwrap();
        assert!(w < g, "{w} vs {g}");
        // Memoryless for k = 1: the wait is the gap, with BG/NBD's posterior
        // Gamma(r + x, α + T): the median of an exponential mixed over it.
        let poisson = Cnbd { k: 1, ..m };
        let g1 = poisson.median_gap(&late).unwrap().unwrap();
        let w1 = poisson.median_wait(&late).unwrap().unwrap();
        let (shape, rate) = (m.r + 50.0, m.alpha + 52.0);
        let exact = rate * (2f64.powf(1.0 / shape) - 1.0);
        // Bisected to a thousandth of a week.
        assert!(
            (g1 - exact).abs() < 1e-3 && (w1 - exact).abs() < 1e-3,
            "{g1} {w1} {exact}"
        );
        // Discounting at rate 0 is the plain expectation.
        let d = Discounting {
            horizon: 26.0,
            step: 2.0,
            annual_rate: 0.0,
            periods_per_year: 52.0,
        };
        close(
            m.discounted_expected_transactions(&on_time, &d).unwrap(),
            m.conditional_expected_transactions(&on_time, 26.0).unwrap(),
            1e-12,
        );
    }

    #[test]
    fn parameters_are_recovered_for_k_one_and_three() {
        for (truth, seed) in [
            (
                Cnbd {
                    k: 1,
                    dropout_at_first: false,
                    ..TRUTH
                },
                3,
            ),
            (TRUTH, 5),
        ] {
            let mut rng = Rng(seed);
            let sim = simulate(8_000, &truth, (96.0, 12.0, 0.0), &mut rng);
            let customers: Vec<Cbs> = sim.iter().map(|s| s.cbs).collect();
            let opts = FitOptions::default();
            let (fit, tried) =
                fit_cnbd_best_k(&customers, truth.dropout_at_first, MAX_K, &opts).unwrap();
            println!("{truth:?}: {fit:?}, tried {tried:?}");
            assert_eq!(fit.params.k, truth.k, "{tried:?}");
            assert!(fit.converged, "{fit:?}");
            close(fit.params.r, truth.r, 0.15);
            close(fit.params.alpha, truth.alpha, 0.2);
            close(fit.params.a, truth.a, 0.2);
            close(fit.params.b, truth.b, 0.25);
        }
    }

    #[test]
    fn invalid_parameters_and_inputs_are_errors() {
        assert!(Cnbd { k: 0, ..TRUTH }.validate().is_err());
        assert!(
            Cnbd {
                k: MAX_K + 1,
                ..TRUTH
            }
            .validate()
            .is_err()
        );
        assert!(
            Cnbd { r: -1.0, ..TRUTH }
                .p_alive(&Rfm {
                    x: 0.0,
                    t_x: 0.0,
                    t: 1.0
                })
                .is_err()
        );
        let bad = cbs(1.0, 5.0, 4.0, 0.0);
        assert!(matches!(
            fit_cnbd(&[bad], 2, true, &FitOptions::default()),
            Err(ClvError::InvalidInput { index: 0, .. })
        ));
        assert!(
            TRUTH
                .log_likelihood(&[cbs(1.0, 1.0, 2.0, f64::NAN)])
                .is_err()
        );
        assert_eq!(
            fit_cnbd(&[cbs(0.0, 0.0, 3.0, 0.0)], 2, true, &FitOptions::default()),
            Err(ClvError::NoRepeatTransactions)
        );
        // Extreme customers give finite answers.
        for c in [
            Rfm {
                x: 1e5,
                t_x: 100.0,
                t: 104.0,
            },
            Rfm {
                x: 1e5,
                t_x: 1.0,
                t: 104.0,
            },
            Rfm {
                x: 0.0,
                t_x: 0.0,
                t: 0.0,
            },
        ] {
            let pa = TRUTH.p_alive(&c).unwrap();
            assert!((0.0..=1.0).contains(&pa), "{c:?}");
            let e = TRUTH.conditional_expected_transactions(&c, 52.0).unwrap();
            assert!(e.is_finite() && e >= 0.0, "{c:?}: {e}");
            let q = TRUTH.p_no_transaction(&c, 4.0).unwrap();
            assert!((0.0..=1.0).contains(&q), "{c:?}");
        }
    }
}
