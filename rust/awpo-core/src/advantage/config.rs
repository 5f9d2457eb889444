//! Options of the advantage estimator: one field per ALGORITHM.md constant, with the spec's default.
use std::fmt;
use std::str::FromStr;

use crate::{Error, Result};

/// Declares a closed option set spelled as lowercase strings in configs (`gate: soft`).
macro_rules! option_enum {
    (
        $(#[$meta:meta])*
        $name:ident, $what:literal {
            $( $(#[$vmeta:meta])* $variant:ident => $spelling:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
        pub enum $name {
            $( $(#[$vmeta])* $variant ),+
        }

        impl $name {
            /// Every accepted spelling, in declaration order.
            pub const ALL: &'static [&'static str] = &[$($spelling),+];

            /// The config spelling of this value.
            pub fn as_str(self) -> &'static str {
                match self {
                    $( Self::$variant => $spelling ),+
                }
            }
        }

        impl FromStr for $name {
            type Err = Error;

            /// Parses the config spelling; an unknown one is `InvalidInput` listing the allowed ones.
            fn from_str(s: &str) -> Result<Self> {
                match s {
                    $( $spelling => Ok(Self::$variant), )+
                    _ => Err(Error::InvalidInput(format!(
                        "unknown {} {:?}; expected one of: {}",
                        $what,
                        s,
                        Self::ALL.join(", ")
                    ))),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

option_enum! {
    /// Which advantage is computed (ALGORITHM.md §6: the baselines share AWPO's code path).
    Estimator, "estimator" {
        /// `A_i = Ao_i` (outcome only, §6).
        Grpo => "grpo",
        /// `R_i = Ro_i + lam * Rr_i`, then GRPO normalisation of `R` (§6).
        NaiveSum => "naive_sum",
        /// `A_i = Ao_i + lam * Ar_i` (§6; equal to `awpo` with gate, weight and clip `off`).
        NormSum => "norm_sum",
        /// `A_i = Ao_i + clip(g * w * Ar_i, -bound_i, +bound_i)` (§1–§4).
        #[default]
        Awpo => "awpo",
    }
}

option_enum! {
    /// The variance-aware gate `g` of ALGORITHM.md §2.
    Gate, "gate" {
        /// `g = (1 - sd_o / sd_max) * [sd_r > tau_r]`.
        #[default]
        Soft => "soft",
        /// `g = [sd_o <= tau_o] * [sd_r > tau_r]`.
        Hard => "hard",
        /// `g = sd_r' / (sd_r' + sd_o' + eps)`, each std divided by its range's `sd_max`.
        Ratio => "ratio",
        /// `g = 1` (still 0 in a group with fewer than 2 judge scores).
        Off => "off",
        /// `g = rho * (1 - sd_o / sd_max) * [sd_r > eps]` (§2): scale-free, the judge's
        /// calibrated reliability `rho` replaces the absolute threshold `tau_r`.
        Reliability => "reliability",
    }
}

option_enum! {
    /// The difficulty-aware weight `w` of ALGORITHM.md §3.
    Weight, "weight" {
        /// `w = lam * (w_floor + (1 - w_floor) * d)`.
        #[default]
        Linear => "linear",
        /// `w = lam`.
        Off => "off",
    }
}

option_enum! {
    /// Tailored advantage clipping of ALGORITHM.md §4.
    Clip, "clip" {
        /// `A_i = Ao_i + clip(c_i, -bound_i, +bound_i)`.
        #[default]
        On => "on",
        /// `A_i = Ao_i + c_i`.
        Off => "off",
    }
}

option_enum! {
    /// Scaling of the outcome advantage `Ao_i` (ALGORITHM.md §1).
    Scale, "scale" {
        /// `Ao_i = (Ro_i - mu_o) / (sd_o + eps)`.
        #[default]
        Std => "std",
        /// `Ao_i = Ro_i - mu_o` (Dr. GRPO style).
        None => "none",
    }
}

/// Every knob of the advantage computation. `Default` is ALGORITHM.md's defaults with the outcome
/// range `[0, 1]`; set `outcome_min`/`outcome_max` to the reward function's range.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdvantageConfig {
    /// Which estimator (§6). Default `awpo`.
    pub estimator: Estimator,
    /// Gate mode (§2). Default `soft`.
    pub gate: Gate,
    /// Weight mode (§3). Default `linear`.
    pub weight: Weight,
    /// Tailored clipping (§4). Default `on`.
    pub clip: Clip,
    /// Scaling of `Ao` (§1). Default `std`.
    pub scale: Scale,
    /// `tau_r` (§2): the judge discriminates only where `sd_r > tau_r`. Default `0.05`.
    pub tau_r: f64,
    /// `tau_o` (§2): outcomes count as tied where `sd_o <= tau_o`. Default `1e-6`.
    pub tau_o: f64,
    /// `lam` (§3, §6): scale of the reasoning term. Default `1.0`.
    pub lam: f64,
    /// `w_floor` (§3): the weight a solved prompt keeps, in `[0, 1]`. Default `0.25`.
    pub w_floor: f64,
    /// `kappa` (§4): the reasoning term is bounded by `kappa * |Ao_i|`. Default `0.5`.
    pub kappa: f64,
    /// `delta0` (§4): the bound where `|Ao_i| <= eps` (tied outcomes). Default `1.0`.
    pub delta0: f64,
    /// `rho` (§2): the judge's reliability `2 * AUC - 1` from calibration, in `[0, 1]`; used only
    /// by the `reliability` gate. Default `1.0`.
    pub rho: f64,
    /// `eps` (notation): denominator guard and "outcome discriminates" threshold. Default `1e-6`.
    pub eps: f64,
    /// `Ro_min`: the outcome reward's lower bound. Default `0.0`.
    pub outcome_min: f64,
    /// `Ro_max`: the outcome reward's upper bound. Default `1.0`.
    pub outcome_max: f64,
}

impl Default for AdvantageConfig {
    fn default() -> Self {
        Self {
            estimator: Estimator::Awpo,
            gate: Gate::Soft,
            weight: Weight::Linear,
            clip: Clip::On,
            scale: Scale::Std,
            tau_r: 0.05,
            tau_o: 1e-6,
            lam: 1.0,
            w_floor: 0.25,
            kappa: 0.5,
            delta0: 1.0,
            rho: 1.0,
            eps: 1e-6,
            outcome_min: 0.0,
            outcome_max: 1.0,
        }
    }
}

/// Relative slack (of the range's width) allowed outside `[outcome_min, outcome_max]` for float
/// round-off in reward sums; a value further out is `InvalidInput`.
pub const OUTCOME_RANGE_SLACK: f64 = 1e-9;

impl AdvantageConfig {
    /// The defaults with this estimator.
    pub fn with_estimator(self, estimator: Estimator) -> Self {
        Self { estimator, ..self }
    }

    /// The same config with the outcome reward's range `[min, max]`.
    pub fn with_outcome_range(self, outcome_min: f64, outcome_max: f64) -> Self {
        Self {
            outcome_min,
            outcome_max,
            ..self
        }
    }

    /// `sd_max = (Ro_max - Ro_min) / 2` (§2), computed without overflow.
    pub fn sd_max(&self) -> f64 {
        self.outcome_max / 2.0 - self.outcome_min / 2.0
    }

    /// Checks every field; the message names the field, the value and the fix.
    pub fn validate(&self) -> Result<()> {
        let bad = |msg: String| Err(Error::InvalidInput(msg));
        let fields = [
            ("tau_r", self.tau_r),
            ("tau_o", self.tau_o),
            ("lam", self.lam),
            ("w_floor", self.w_floor),
            ("kappa", self.kappa),
            ("delta0", self.delta0),
            ("rho", self.rho),
            ("eps", self.eps),
            ("outcome_min", self.outcome_min),
            ("outcome_max", self.outcome_max),
        ];
        for (name, v) in fields {
            if !v.is_finite() {
                return bad(format!("AdvantageConfig.{name} = {v} must be finite"));
            }
        }
        for (name, v) in [
            ("tau_r", self.tau_r),
            ("tau_o", self.tau_o),
            ("lam", self.lam),
            ("kappa", self.kappa),
            ("delta0", self.delta0),
        ] {
            if v < 0.0 {
                return bad(format!("AdvantageConfig.{name} = {v} must be >= 0"));
            }
        }
        if !(0.0..=1.0).contains(&self.w_floor) {
            return bad(format!(
                "AdvantageConfig.w_floor = {} must be in [0, 1]",
                self.w_floor
            ));
        }
        if !(0.0..=1.0).contains(&self.rho) {
            return bad(format!(
                "AdvantageConfig.rho = {} must be in [0, 1] (2 * AUC - 1 from `awpo judge calibrate`)",
                self.rho
            ));
        }
        if self.eps <= 0.0 {
            return bad(format!("AdvantageConfig.eps = {} must be > 0", self.eps));
        }
        if self.outcome_min >= self.outcome_max {
            return bad(format!(
                "outcome range [{}, {}] is empty: outcome_min must be < outcome_max \
                 (set them to the outcome reward's range)",
                self.outcome_min, self.outcome_max
            ));
        }
        if !(self.outcome_max - self.outcome_min).is_finite() {
            return bad(format!(
                "outcome range [{}, {}] is wider than f64 can hold; use a narrower range",
                self.outcome_min, self.outcome_max
            ));
        }
        Ok(())
    }

    /// The accepted outcome interval: the range widened by [`OUTCOME_RANGE_SLACK`] of its width.
    pub(crate) fn outcome_bounds(&self) -> (f64, f64) {
        let slack = OUTCOME_RANGE_SLACK * (self.outcome_max - self.outcome_min);
        (self.outcome_min - slack, self.outcome_max + slack)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_spec_constants() {
        let c = AdvantageConfig::default();
        assert_eq!(c.estimator, Estimator::Awpo);
        assert_eq!(c.gate, Gate::Soft);
        assert_eq!(c.weight, Weight::Linear);
        assert_eq!(c.clip, Clip::On);
        assert_eq!(c.scale, Scale::Std);
        assert_eq!(
            (c.tau_r, c.tau_o, c.lam, c.w_floor, c.kappa, c.delta0, c.eps),
            (0.05, 1e-6, 1.0, 0.25, 0.5, 1.0, 1e-6)
        );
        assert!(c.validate().is_ok());
        assert_eq!(Estimator::default(), Estimator::Awpo);
    }

    #[test]
    fn spellings_round_trip_and_unknown_lists_allowed() {
        for s in Gate::ALL {
            assert_eq!(s.parse::<Gate>().map(|g| g.as_str()).ok(), Some(*s));
        }
        for s in Estimator::ALL {
            assert_eq!(
                s.parse::<Estimator>().map(|e| e.to_string()).ok(),
                Some(s.to_string())
            );
        }
        let err = "sigmoid".parse::<Gate>().err().map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("unknown gate \"sigmoid\"; expected one of: soft, hard, ratio, off, reliability")
        );
        assert!("none".parse::<Scale>().is_ok_and(|s| s == Scale::None));
    }

    #[test]
    fn validate_names_the_field() {
        let c = AdvantageConfig {
            kappa: -1.0,
            ..Default::default()
        };
        let msg = c
            .validate()
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(msg.contains("kappa"), "{msg}");
        let c = AdvantageConfig::default().with_outcome_range(1.0, 1.0);
        assert!(c.validate().is_err());
        let c = AdvantageConfig::default().with_outcome_range(-f64::MAX, f64::MAX);
        assert!(c.validate().is_err());
        let c = AdvantageConfig {
            eps: 0.0,
            ..Default::default()
        };
        assert!(c.validate().is_err());
        let c = AdvantageConfig {
            w_floor: 1.5,
            ..Default::default()
        };
        assert!(c.validate().is_err());
        let c = AdvantageConfig {
            lam: f64::NAN,
            ..Default::default()
        };
        assert!(c.validate().is_err());
    }

    #[test]
    fn sd_max_does_not_overflow() {
        let c = AdvantageConfig::default().with_outcome_range(-1e308, 1e308);
        assert_eq!(c.sd_max(), 1e308);
        assert!(c.validate().is_err()); // width 2e308 overflows
        let c = AdvantageConfig::default().with_outcome_range(-3.0, 4.0);
        assert_eq!(c.sd_max(), 3.5);
    }
}
