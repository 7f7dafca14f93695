//! Test helpers shared by the model files: the published CDNOW fit, tolerances, a
//! gradient check and a small reproducible random number generator.

use super::BgNbd;
use super::optimize::LogModel;

/// BG/NBD on CDNOW as published (FHL05a).
pub const PUBLISHED: BgNbd = BgNbd {
    r: 0.243,
    alpha: 4.414,
    a: 0.793,
    b: 2.426,
};

pub fn rel(a: f64, b: f64) -> f64 {
    ((a - b) / b).abs()
}

pub fn close(a: f64, b: f64, tol: f64) {
    assert!(rel(a, b) <= tol, "{a} vs {b} (relative {})", rel(a, b));
}

/// The analytic gradient of `model`'s mean log-likelihood at `lt` (log-parameters) agrees
/// with central finite differences.
pub fn assert_gradient(model: &impl LogModel, lt: &[f64]) {
    let (_, g) = model.mean_ll(lt).unwrap();
    for i in 0..lt.len() {
        let h = 1e-6;
        let mut up = lt.to_vec();
        let mut dn = lt.to_vec();
        up[i] += h;
        dn[i] -= h;
        let fd = (model.mean_ll(&up).unwrap().0 - model.mean_ll(&dn).unwrap().0) / (2.0 * h);
        assert!(
            (fd - g[i]).abs() < 1e-6 * (1.0 + g[i].abs()),
            "{i}: {fd} vs {}",
            g[i]
        );
    }
}

/// SplitMix64 with Marsaglia–Tsang gamma sampling: enough for a reproducible test.
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform on (0, 1).
    pub fn uniform(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
    pub fn normal(&mut self) -> f64 {
        let (u, v) = (self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
    /// Gamma(shape, rate).
    pub fn gamma(&mut self, shape: f64, rate: f64) -> f64 {
        if shape < 1.0 {
            let u = self.uniform();
            return self.gamma(shape + 1.0, rate) * u.powf(1.0 / shape);
        }
        let d = shape - 1.0 / 3.0;
        let c = 1.0 / (9.0 * d).sqrt();
        loop {
            let x = self.normal();
            let v = (1.0 + c * x).powi(3);
            if v <= 0.0 {
                continue;
            }
            let u = self.uniform();
            if u.ln() < 0.5 * x * x + d - d * v + d * v.ln() {
                return d * v / rate;
            }
        }
    }
    pub fn beta(&mut self, a: f64, b: f64) -> f64 {
        let x = self.gamma(a, 1.0);
        let y = self.gamma(b, 1.0);
        x / (x + y)
    }
}
