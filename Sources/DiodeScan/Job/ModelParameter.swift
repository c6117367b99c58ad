import DiodePhysics

/// One scalar parameter of the model: the single description that job files
/// (`[model]`, `[model.capacitances]`, `[grid]`), `diodescan point` and
/// `spectrum` (flags), validation and error messages, the job fingerprint,
/// the result file's attributes, the dry run and JSON output all read.
///
/// A parameter is named by its `key` everywhere: the job key, the flag
/// `--key`, the HDF5 attribute or axis name and the JSON field. Units are
/// those of docs/physics.md ("Units"): energies in k_B T, temperatures in T,
/// capacitances in e²/(k_B T), lengths in ħ/√(2 m k_B T).
public struct ModelParameter: Sendable {
    /// The job-file table a fixed value is written in.
    public enum Section: String, Sendable {
        /// `[model]`.
        case model
        /// `[model.capacitances]` (screening only).
        case capacitances = "model.capacitances"
    }

    /// The name in job files, on the command line (`--key`), in result files and JSON.
    public let key: String
    public let section: Section
    /// Unit text, as stored in the `units` attribute of an axis ("1" when dimensionless).
    public let unit: String
    /// The value when the parameter is not given; nil when it must be given
    /// (or, for `gamma1`/`gamma3`, follows from `gamma`).
    public let defaultValue: Double?
    /// The allowed values in words, quoted by every error message.
    public let allowed: String
    /// Whether a (finite) value is allowed. Non-finite values are never allowed.
    public let isAllowed: @Sendable (Double) -> Bool
    /// What the parameter is: the flag's help text and the axis' `long_name`.
    public let summary: String

    init(_ key: String, _ section: Section = .model, unit: String, default defaultValue: Double?,
         allowed: String, _ isAllowed: @escaping @Sendable (Double) -> Bool, _ summary: String) {
        self.key = key
        self.section = section
        self.unit = unit
        self.defaultValue = defaultValue
        self.allowed = allowed
        self.isAllowed = isAllowed
        self.summary = summary
    }

    /// The job-file path of a fixed value: `model.mu`, `model.capacitances.c12`.
    public var jobKey: String { "\(section.rawValue).\(key)" }

    /// Whether `value` is finite and allowed.
    public func accepts(_ value: Double) -> Bool { value.isFinite && isAllowed(value) }

    /// The one-line refusal of `value` (without the key's prefix: callers
    /// add `model.`, `--` or `grid.`).
    public func refusal(of valueText: String, as name: String) -> String {
        "\(name) = \(valueText) is out of range; allowed: \(allowed)"
    }
}

extension ModelParameter {
    /// The default values, written once: the table's entries, `ModelSpec`'s
    /// initialiser and the command-line flags' defaults all read them.
    /// (`DeviceParameters` in the physics library has the same defaults;
    /// `ModelParameterTests` checks that they agree.)
    public enum Default {
        public static let mu = 40.0
        public static let lambda = 0.0
        public static let d = 1.0
        public static let dT = 1.0
        public static let capacitance = 0.0
    }

    private static let finiteEnergy = "a finite number"
    private static let positiveWidth = "a finite number > 0"
    private static let capacitance = "a finite number ≥ 0 (in e²/k_B T)"

    // The ranges below are the physics' own (`DeviceParameters.validate`,
    // `DeviceParameters.validate(deltaT:)`): `ModelParameterTests` checks that
    // both accept exactly the same values, so input is validated here, once,
    // with messages that name the user's key, and the physics' check remains
    // only as the library's guard.

    public static let eps1 = ModelParameter(
        "eps1", unit: "k_B T", default: nil, allowed: finiteEnergy, { _ in true },
        "resonance energy ε1 of barrier 1 (absolute)")
    public static let eps3 = ModelParameter(
        "eps3", unit: "k_B T", default: nil, allowed: finiteEnergy, { _ in true },
        "resonance energy ε3 of barrier 3 (absolute)")
    public static let dT = ModelParameter(
        "dT", unit: "T", default: Default.dT, allowed: "a finite number > -1 (ΔT in units of T)", { $0 > -1 },
        "temperature difference ΔT (the hot lead is at 1 + ΔT)")
    /// Sets both widths; refused together with `gamma1` or `gamma3` (`ModelSpec.widths`).
    public static let gamma = ModelParameter(
        "gamma", unit: "k_B T", default: nil, allowed: positiveWidth, { $0 > 0 },
        "width Γ = Γ1 = Γ3 of both resonances")
    public static let gamma1 = ModelParameter(
        "gamma1", unit: "k_B T", default: nil, allowed: positiveWidth, { $0 > 0 },
        "width Γ1 of resonance 1")
    public static let gamma3 = ModelParameter(
        "gamma3", unit: "k_B T", default: nil, allowed: positiveWidth, { $0 > 0 },
        "width Γ3 of resonance 3")
    public static let mu = ModelParameter(
        "mu", unit: "k_B T", default: Default.mu, allowed: finiteEnergy, { _ in true },
        "chemical potential μ of both leads")
    public static let lambda = ModelParameter(
        "lambda", unit: "1", default: Default.lambda, allowed: "0 ≤ lambda ≤ 1", { (0...1).contains($0) },
        "probe (thermalisation) strength λ: 0 coherent, 1 fully thermalised")
    public static let d = ModelParameter(
        "d", unit: "hbar / sqrt(2 m k_B T)", default: Default.d, allowed: "a finite number > 0", { $0 > 0 },
        "length d of region 2")
    public static let c12 = ModelParameter(
        "c12", .capacitances, unit: "e^2 / (k_B T)", default: Default.capacitance, allowed: capacitance, { $0 >= 0 },
        "capacitance between regions 1 and 2")
    public static let c13 = ModelParameter(
        "c13", .capacitances, unit: "e^2 / (k_B T)", default: Default.capacitance, allowed: capacitance, { $0 >= 0 },
        "capacitance between regions 1 and 3")
    public static let c23 = ModelParameter(
        "c23", .capacitances, unit: "e^2 / (k_B T)", default: Default.capacitance, allowed: capacitance, { $0 >= 0 },
        "capacitance between regions 2 and 3")
    public static let c1g = ModelParameter(
        "c1g", .capacitances, unit: "e^2 / (k_B T)", default: Default.capacitance, allowed: capacitance, { $0 >= 0 },
        "capacitance of region 1 to its gate")
    public static let c2g = ModelParameter(
        "c2g", .capacitances, unit: "e^2 / (k_B T)", default: Default.capacitance, allowed: capacitance, { $0 >= 0 },
        "capacitance of region 2 to its gate")
    public static let c3g = ModelParameter(
        "c3g", .capacitances, unit: "e^2 / (k_B T)", default: Default.capacitance, allowed: capacitance, { $0 >= 0 },
        "capacitance of region 3 to its gate")

    /// The rotated resonance coordinates of double-barrier work: the mean
    /// detuning (ε1 + ε3)/2 − μ and the half-difference (ε1 − ε3)/2, so that
    /// ε1 = μ + detuning + asymmetry and ε3 = μ + detuning − asymmetry. On the
    /// antisymmetric line (ε1 − μ = μ − ε3) detuning = 0 and asymmetry = ε1 − μ.
    /// Scan coordinates only (fixed in `[model]` or a `[grid]` axis, instead of
    /// eps1 and eps3); a `ModelSpec` does not store them.
    public static let detuning = ModelParameter(
        "detuning", unit: "k_B T", default: nil, allowed: finiteEnergy, { _ in true },
        "mean detuning (eps1 + eps3)/2 - mu of the resonances")
    public static let asymmetry = ModelParameter(
        "asymmetry", unit: "k_B T", default: nil, allowed: finiteEnergy, { _ in true },
        "half-difference (eps1 - eps3)/2 of the resonance energies")

    /// Every key a scan may take as a `[grid]` axis: `all` and the rotated
    /// coordinates.
    public static let axisParameters: [ModelParameter] = all + [detuning, asymmetry]

    /// The axis parameter named `key`, if any.
    public static func axis(_ key: String) -> ModelParameter? { axisParameters.first { $0.key == key } }

    /// The capacitances in job-file order (`[model.capacitances]`).
    public static let capacitances: [ModelParameter] = [c12, c13, c23, c1g, c2g, c3g]

    /// The device parameters a `ModelSpec` stores besides the capacitances,
    /// in the order of the fingerprint and of the file's attributes (then
    /// come `screening` and the capacitances; `gamma` is not stored: it sets
    /// `gamma1` and `gamma3`).
    public static let device: [ModelParameter] = [mu, gamma1, gamma3, lambda, d]

    /// The parameters of one solved point, in the order of `point --json`'s
    /// "parameters" object and of the spectrum file's attributes (then come
    /// `screening` and the capacitances; `gamma` is reported as its two widths).
    public static let point: [ModelParameter] = [eps1, eps3, gamma1, gamma3, mu, lambda, d, dT]

    /// Every parameter, in the order of `--help`.
    public static let all: [ModelParameter] = [eps1, eps3, dT, gamma, gamma1, gamma3, mu, lambda, d] + capacitances

    /// The parameter named `key`, if any.
    public static func named(_ key: String) -> ModelParameter? { all.first { $0.key == key } }

    /// The `screening` switch: not a number, so not in `all`, but described
    /// here for the same readers.
    public static let screeningSummary = "solve the potentials U1, U2, U3 self-consistently (screening)"
    /// The `screening` switch's name (job key, flag, attribute, JSON field).
    public static let screeningKey = "screening"

    /// The one-line refusal of a non-zero capacitance without screening, the
    /// same for job files and flags: `given` names what the user wrote
    /// (`model.capacitances.c12 = 0.5`, `--c12`), `screening` how to switch
    /// screening on.
    public static func refusalWithoutScreening(of given: String, screening: String) -> String {
        "\(given) needs \(screening) (capacitances only enter the screening model)"
    }
}

extension ModelSpec {
    /// The stored value of a parameter of `ModelParameter.device` or
    /// `.capacitances`; nil for
    /// the point coordinates (`eps1`, `eps3`, `dT`) and `gamma`, which a
    /// `ModelSpec` does not hold.
    public subscript(parameter: ModelParameter) -> Double? {
        get { ModelSpec.keyPath(of: parameter).map { self[keyPath: $0] } }
    }

    /// Sets a parameter of `ModelParameter.device` or `.capacitances`, or both widths for
    /// `gamma`; returns false (and changes nothing) for the point coordinates.
    @discardableResult
    public mutating func set(_ parameter: ModelParameter, to value: Double) -> Bool {
        if parameter.key == ModelParameter.gamma.key {
            (gamma1, gamma3) = (value, value)
            return true
        }
        guard let path = ModelSpec.keyPath(of: parameter) else { return false }
        self[keyPath: path] = value
        return true
    }

    private static func keyPath(of parameter: ModelParameter) -> WritableKeyPath<ModelSpec, Double>? {
        switch parameter.key {
        case "mu": \.mu
        case "gamma1": \.gamma1
        case "gamma3": \.gamma3
        case "lambda": \.lambda
        case "d": \.d
        case "c12": \.capacitances.c12
        case "c13": \.capacitances.c13
        case "c23": \.capacitances.c23
        case "c1g": \.capacitances.c1g
        case "c2g": \.capacitances.c2g
        case "c3g": \.capacitances.c3g
        default: nil
        }
    }
}

extension DeviceParameters {
    /// The value of a parameter of the table; nil for `dT` (a property of
    /// the run, not of the device) and `gamma` (stored as `gamma1`, `gamma3`).
    public subscript(parameter: ModelParameter) -> Double? {
        switch parameter.key {
        case "eps1": eps1
        case "eps3": eps3
        case "gamma1": gamma1
        case "gamma3": gamma3
        case "mu": mu
        case "lambda": lambda
        case "d": d
        case "c12": capacitances.c12
        case "c13": capacitances.c13
        case "c23": capacitances.c23
        case "c1g": capacitances.c1g
        case "c2g": capacitances.c2g
        case "c3g": capacitances.c3g
        default: nil
        }
    }

    /// The value of a parameter of `ModelParameter.point` or
    /// `.capacitances` at a point solved with temperature difference `deltaT`.
    public func value(of parameter: ModelParameter, deltaT: Double) -> Double? {
        parameter.key == ModelParameter.dT.key ? deltaT : self[parameter]
    }
}
