//! The Gaussian hypergeometric function `2F1` (A&S 15.1.1, with the transformations
//! 15.3.3–15.3.5 and Gauss' sum 15.1.20) and the Pochhammer series behind it.

use statrs::function::gamma::{gamma, ln_gamma};

use super::ClvError;

/// `1 / (1 + exp(s))` without overflow.
pub(crate) fn inv_one_plus_exp(s: f64) -> f64 {
    if s > 0.0 {
        let e = (-s).exp();
        e / (1.0 + e)
    } else {
        1.0 / (1.0 + s.exp())
    }
}

/// Relative accuracy required of a series sum (see [`pochhammer_series`]).
const SERIES_TOL: f64 = 1e-15;
/// Hard cap on the number of series terms; reached only for `z` within ~1e-6 of 1.
const SERIES_MAX_TERMS: usize = 10_000_000;

/// A summed series: value, sum of absolute terms (for conditioning) and terms used.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SeriesSum {
    pub(crate) sum: f64,
    pub(crate) abs_sum: f64,
}

/// Smallest `k` from which the term ratio `f(k) = (a1+k)(a2+k) / ((b1+k)(b2+k))` is positive
/// and monotone. Writing `f(k) - 1 = (s k + β) / D(k)` with `s = a1+a2-b1-b2`,
/// `β = a1 a2 - b1 b2`, `D = (b1+k)(b2+k)`, the sign of `f'` is that of the quadratic
/// `Q(k) = -s k² - 2βk + s b1 b2 - β(b1+b2)`, constant beyond its largest real root.
fn monotone_from(a1: f64, a2: f64, b1: f64, b2: f64) -> f64 {
    let positive_from = [-a1, -a2, -b1, -b2, 0.0].into_iter().fold(0.0, f64::max);
    let s = a1 + a2 - b1 - b2;
    let beta = a1 * a2 - b1 * b2;
    let root = if s != 0.0 {
        // Roots of s k² + 2βk − (s b1 b2 − β(b1+b2)) = 0.
        let disc = beta * beta + s * (s * b1 * b2 - beta * (b1 + b2));
        if disc >= 0.0 {
            let sq = disc.sqrt();
            ((-beta + sq) / s).max((-beta - sq) / s)
        } else {
            0.0
        }
    } else if beta != 0.0 {
        -(b1 + b2) / 2.0
    } else {
        0.0
    };
    positive_from.max(root).max(0.0) + 1.0
}

/// Sums `Σ_{k≥0} (a1)_k (a2)_k / ((b1)_k (b2)_k) z^k` (with `b2 = 1` this is the Gauss series
/// of `2F1(a1, a2; b1; z)`, A&S 15.1.1), for `|z| < 1`.
///
/// Convergence criterion: from the index `k0` of [`monotone_from`] on, the term ratios
/// `ρ_j = |f(j) z|` tend monotonically to `|z|`, so every later ratio is at most
/// `ρ = max(ρ_k, |z|)` and the remainder after term `t_k` is at most `|t_k| ρ / (1 − ρ)`.
/// Summation stops as soon as `k ≥ k0`, `ρ < 1` and that bound is `≤ 1e-15 |sum|`, or when a
/// term is exactly zero (terminating series: `a1` or `a2` a non-positive integer).
pub(crate) fn pochhammer_series(
    a1: f64,
    a2: f64,
    b1: f64,
    b2: f64,
    z: f64,
) -> Result<SeriesSum, ClvError> {
    let k0 = monotone_from(a1, a2, b1, b2);
    let mut term = 1.0_f64;
    let mut sum = 1.0_f64;
    let mut abs_sum = 1.0_f64;
    for k in 0..SERIES_MAX_TERMS {
        let kf = k as f64;
        let den = (b1 + kf) * (b2 + kf);
        if den == 0.0 {
            return Err(ClvError::InvalidArgument(
                "hypergeometric series: a lower parameter is a non-positive integer".into(),
            ));
        }
        let ratio = (a1 + kf) * (a2 + kf) / den * z;
        if term == 0.0 {
            return Ok(SeriesSum { sum, abs_sum });
        }
        if kf >= k0 {
            let rho = ratio.abs().max(z.abs());
            if rho < 1.0 && term.abs() * rho / (1.0 - rho) <= SERIES_TOL * sum.abs() {
                return Ok(SeriesSum { sum, abs_sum });
            }
        }
        term *= ratio;
        sum += term;
        abs_sum += term.abs();
        if !sum.is_finite() {
            return Err(ClvError::InvalidArgument(
                "hypergeometric series overflowed".into(),
            ));
        }
    }
    Err(ClvError::SeriesNotConverged {
        terms: SERIES_MAX_TERMS,
    })
}

fn is_nonpositive_integer(v: f64) -> bool {
    v <= 0.0 && v.fract() == 0.0
}

/// Gauss' sum `2F1(a, b; c; 1) = Γ(c) Γ(c−a−b) / (Γ(c−a) Γ(c−b))` for `c − a − b > 0`
/// (A&S 15.1.20).
fn hyp2f1_at_one(a: f64, b: f64, c: f64) -> Result<f64, ClvError> {
    let e = c - a - b;
    if e <= 0.0 {
        return Err(ClvError::InvalidArgument(format!(
            "2F1({a}, {b}; {c}; 1) diverges (c − a − b = {e} <= 0)"
        )));
    }
    let v = if c - a > 0.0 && c - b > 0.0 {
        (ln_gamma(c) + ln_gamma(e) - ln_gamma(c - a) - ln_gamma(c - b)).exp()
    } else if is_nonpositive_integer(c - a) || is_nonpositive_integer(c - b) {
        0.0
    } else {
        gamma(c) * gamma(e) / (gamma(c - a) * gamma(c - b))
    };
    if v.is_finite() {
        Ok(v)
    } else {
        Err(ClvError::InvalidArgument(format!(
            "2F1({a}, {b}; {c}; 1) overflows"
        )))
    }
}

/// Gaussian hypergeometric function `2F1(a, b; c; z)` for real arguments and `z ≤ 1`.
///
/// Evaluated as the power series A&S 15.1.1, `Σ_k (a)_k (b)_k / ((c)_k k!) z^k`, summed until
/// a rigorous bound on the remainder is below `1e-15` times the partial sum: once `k` is past
/// the point where the term ratio `ρ_k = |(a+k)(b+k) z / ((c+k)(k+1))|` becomes monotone
/// (computed in closed form), every later ratio is at most `ρ = max(ρ_k, |z|)` and the
/// remainder after term `t_k` is at most `|t_k| ρ / (1 − ρ)`. Terminating series
/// (`a` or `b` a non-positive integer) stop at their last term. To keep the series fast and
/// well conditioned it is applied to a transformed argument or parameters:
///
/// * `0 < z < 1`: the direct series or Euler's transformation (A&S 15.3.3; the transformation
///   the FHL05b note uses when `z` approaches 1)
///   `2F1(a, b; c; z) = (1 − z)^{c−a−b} 2F1(c−a, c−b; c; z)`;
/// * `z < 0`: Pfaff's transformations (A&S 15.3.4 / 15.3.5), which map `z` to
///   `z / (z − 1) ∈ (0, 1)`, so that `z ≤ −1` (where the direct series diverges) works too;
/// * `z = 1`: Gauss' sum (A&S 15.1.20) when `c − a − b > 0`.
///
/// Between the two admissible forms, the one whose terms keep one sign (no cancellation) is
/// preferred, then the one whose series converges fastest near `z = 1`
/// (smaller `a + b − c`); if its terms cancel badly, the other form is tried too and the better
/// conditioned result kept. The number of terms grows like `1 / (1 − z)`: for `z` closer to 1
/// than about `1e-6` the series gives up with [`ClvError::SeriesNotConverged`].
///
/// Errors: non-finite arguments, `c` a non-positive integer, `z > 1` (branch cut), divergence at
/// `z = 1`, or no convergence.
/// Above this, b and c count as large for the limit form of [`hyp2f1`].
const LARGE_PARAMETER: f64 = 1e4;

pub fn hyp2f1(a: f64, b: f64, c: f64, z: f64) -> Result<f64, ClvError> {
    if !(a.is_finite() && b.is_finite() && c.is_finite() && z.is_finite()) {
        return Err(ClvError::InvalidArgument(format!(
            "2F1({a}, {b}; {c}; {z}): arguments must be finite"
        )));
    }
    if is_nonpositive_integer(c) {
        return Err(ClvError::InvalidArgument(format!(
            "2F1: c = {c} is a non-positive integer (pole)"
        )));
    }
    if z > 1.0 {
        return Err(ClvError::InvalidArgument(format!(
            "2F1: z = {z} > 1 is on the branch cut (complex value)"
        )));
    }
    if z == 0.0 || a == 0.0 || b == 0.0 {
        return Ok(1.0);
    }
    if z == 1.0 {
        return hyp2f1_at_one(a, b, c);
    }
    if is_nonpositive_integer(a) || is_nonpositive_integer(b) {
        // Terminating series: a polynomial in z, exact for any z < 1.
        return pochhammer_series(a, b, c, 1.0, z).map(|s| s.sum);
    }
    // Candidate forms: (log prefactor, upper parameters, argument).
    let forms: [(f64, f64, f64, f64); 2] = if z > 0.0 {
        [
            (0.0, a, b, z),
            ((c - a - b) * (-z).ln_1p(), c - a, c - b, z),
        ]
    } else {
        let w = z / (z - 1.0);
        let l = (-z).ln_1p();
        [(-a * l, a, c - b, w), (-b * l, c - a, b, w)]
    };
    let one_signed = |f: &(f64, f64, f64, f64)| f.1 > 0.0 && f.2 > 0.0;
    let excess = |f: &(f64, f64, f64, f64)| f.1 + f.2 - c;
    let mut order = [0usize, 1usize];
    let prefer_second = match (one_signed(&forms[0]), one_signed(&forms[1])) {
        (true, false) => false,
        (false, true) => true,
        _ => excess(&forms[1]) < excess(&forms[0]),
    };
    if prefer_second {
        order = [1, 0];
    }
    let mut best: Option<(f64, f64)> = None; // (value, condition number)
    let mut last_err = None;
    for &i in &order {
        let (lpre, p1, p2, arg) = forms[i];
        match pochhammer_series(p1, p2, c, 1.0, arg) {
            Ok(s) => {
                let value = lpre.exp() * s.sum;
                let cond = if s.sum == 0.0 {
                    f64::INFINITY
                } else {
                    s.abs_sum / s.sum.abs()
                };
                if value.is_finite() && best.is_none_or(|(_, c0)| cond < c0) {
                    best = Some((value, cond));
                }
                if cond <= 1e4 && value.is_finite() {
                    break;
                }
            }
            Err(e) => last_err = Some(e),
        }
    }
    match (best, last_err) {
        (Some((v, _)), _) => Ok(v),
        // Large b and c (a BG/NBD fit at its "no drop-out" boundary, b → ∞ with b/c
        // fixed): the series overflows, but 2F1(a, b; c; z) → (1 − (b/c) z)^(−a) with
        // an error of O(1/c) (the limit of the Euler integral).
        (None, Some(_)) if b.min(c) >= LARGE_PARAMETER && z < 1.0 => {
            Ok((-a * (-(b / c) * z).ln_1p()).exp())
        }
        (None, Some(e)) => Err(e),
        (None, None) => Err(ClvError::InvalidArgument(format!(
            "2F1({a}, {b}; {c}; {z}) overflows"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::btyd::testkit::{close, rel};

    #[test]
    fn hyp2f1_closed_forms() {
        for z in [-50.0, -3.0, -0.9, -0.2, 0.1, 0.5, 0.9, 0.99, 0.9999] {
            // Accuracy degrades slowly with the number of terms (~1/(1 − z)) as z → 1.
            let tol = if z > 0.999 { 2e-12 } else { 1e-13 };
            // 2F1(1, 1; 2; z) = −ln(1 − z) / z
            close(hyp2f1(1.0, 1.0, 2.0, z).unwrap(), -(-z).ln_1p() / z, tol);
            // 2F1(a, b; b; z) = (1 − z)^{−a}
            close(hyp2f1(0.7, 2.3, 2.3, z).unwrap(), (1.0 - z).powf(-0.7), tol);
        }
        for s in [0.1_f64, 0.5, 0.9, 0.999] {
            // 2F1(1/2, 1/2; 3/2; s²) = asin(s) / s ; 2F1(1/2, 1; 3/2; s²) = atanh(s) / s
            close(hyp2f1(0.5, 0.5, 1.5, s * s).unwrap(), s.asin() / s, 1e-13);
            close(hyp2f1(0.5, 1.0, 1.5, s * s).unwrap(), s.atanh() / s, 1e-13);
        }
        for s in [0.5_f64, 1.0, 3.0, 30.0] {
            // 2F1(1/2, 1; 3/2; −s²) = atan(s) / s, z ≤ −1 included
            close(hyp2f1(0.5, 1.0, 1.5, -s * s).unwrap(), s.atan() / s, 1e-13);
        }
        // Terminating: 2F1(−2, b; c; z) = 1 − 2bz/c + b(b+1)z²/(c(c+1))
        let (b, c, z) = (2.5, 1.5, -7.0);
        let poly = 1.0 - 2.0 * b * z / c + b * (b + 1.0) * z * z / (c * (c + 1.0));
        close(hyp2f1(-2.0, b, c, z).unwrap(), poly, 1e-14);
        // Gauss' sum: 2F1(1/2, 1/2; 2; 1) = 4/π
        close(
            hyp2f1(0.5, 0.5, 2.0, 1.0).unwrap(),
            4.0 / std::f64::consts::PI,
            1e-13,
        );
        assert_eq!(hyp2f1(0.3, 0.4, 2.0, 0.0).unwrap(), 1.0);
    }

    #[test]
    fn hyp2f1_reference_values() {
        // Reference values from mpmath.hyp2f1 at 30 digits.
        let cases = [
            ((0.243, 2.426, 2.219, 0.5), 1.207_097_007_044_042_3),
            ((0.243, 2.426, 2.219, 0.95), 2.446_186_677_030_991_7),
            ((2.243, 4.426, 4.219, 0.3), 2.321_072_475_782_529_4),
            ((0.5, 0.25, 3.5, -4.0), 0.912_649_065_810_190_9),
            ((1.5, -2.3, 0.7, 0.9), -0.215_749_887_001_642_96),
            ((3.7, 5.2, 1.1, 0.999), 5.929_948_520_487_442e24),
            ((2.5, 1.5, 7.0, -0.5), 0.789_023_398_107_818_1),
            ((20.5, 30.25, 4.5, 0.2), 117_827_091.590_333_15),
        ];
        for ((a, b, c, z), want) in cases {
            let got = hyp2f1(a, b, c, z).unwrap();
            assert!(
                rel(got, want) < 1e-12,
                "2F1({a},{b};{c};{z}) = {got}, want {want}"
            );
        }
    }

    #[test]
    fn hyp2f1_domain_errors() {
        assert!(hyp2f1(1.0, 1.0, -2.0, 0.5).is_err());
        assert!(hyp2f1(1.0, 1.0, 2.0, 1.5).is_err());
        assert!(hyp2f1(1.0, 1.0, 2.0, 1.0).is_err()); // diverges at z = 1
        assert!(hyp2f1(f64::NAN, 1.0, 2.0, 0.5).is_err());
        assert!(matches!(
            hyp2f1(1.0, 1.0, 2.0, 1.0 - 1e-9),
            Err(ClvError::SeriesNotConverged { .. })
        ));
    }

    #[test]
    fn hyp2f1_large_parameters_use_the_limit() {
        // b, c ~ 7e6 (a fit at the no-drop-out boundary): the series overflows.
        let (a, b, c, z) = (42.9, 6_782_244.6, 6_802_700.0, 0.2);
        let v = hyp2f1(a, b, c, z).unwrap();
        let limit = (1.0 - b / c * z).powf(-a);
        assert!((v / limit - 1.0).abs() < 1e-3, "{v} {limit}");
        // Where the series still works, the two agree to O(1/c).
        let (b, c) = (2e4, 2.5e4);
        let series = hyp2f1(3.0, b, c, 0.1).unwrap();
        assert!((series / (1.0 - b / c * 0.1).powf(-3.0) - 1.0).abs() < 1e-3);
    }
}
