/// The model section of a job file, normalised (defaults filled in, `gamma`
/// expanded to `gamma1 = gamma3`).
public struct ModelSpec: Sendable, Hashable {
    /// Chemical potential of both leads, k_B T.
    public var mu: Double = ModelParameter.Default.mu
    /// Widths of the two resonances, k_B T (> 0).
    public var gamma1: Double
    public var gamma3: Double
    /// Probe (thermalisation) strength in [0, 1].
    public var lambda: Double = ModelParameter.Default.lambda
    /// Length of region 2 in units of ħ / sqrt(2 m k_B T) (> 0).
    public var d: Double = ModelParameter.Default.d
    public var screening: Bool = false
    public var capacitances = CapacitanceSpec()

    public init(mu: Double = ModelParameter.Default.mu, gamma1: Double, gamma3: Double,
                lambda: Double = ModelParameter.Default.lambda, d: Double = ModelParameter.Default.d,
                screening: Bool = false, capacitances: CapacitanceSpec = CapacitanceSpec()) {
        self.mu = mu
        self.gamma1 = gamma1
        self.gamma3 = gamma3
        self.lambda = lambda
        self.d = d
        self.screening = screening
        self.capacitances = capacitances
    }
}

/// Why the resonance widths cannot be settled (`ModelSpec.widths`).
public enum WidthError: Error, Equatable {
    /// `gamma` together with `gamma1` or `gamma3` (the name given).
    case bothSet(String)
    /// The width that is missing: `gamma` (none set), `gamma1` or `gamma3`
    /// (the other one is set).
    case missing(String)
}

extension ModelSpec {
    /// Γ1 and Γ3 from `gamma` (both widths) or from `gamma1` and `gamma3`:
    /// the one rule for job files (`[model]`) and `diodescan point`
    /// (`--gamma`, `--gamma1`, `--gamma3`). `gamma` with either of the
    /// others is refused, not silently overridden.
    public static func widths(gamma: Double?, gamma1: Double?, gamma3: Double?) throws(WidthError) -> (Double, Double) {
        switch (gamma, gamma1, gamma3) {
        case (let g?, nil, nil): return (g, g)
        case (nil, let g1?, let g3?): return (g1, g3)
        case (.some, _, _): throw .bothSet(gamma1 != nil ? "gamma1" : "gamma3")
        case (nil, nil, nil): throw .missing("gamma")
        case (nil, _, nil): throw .missing("gamma3")
        case (nil, nil, _): throw .missing("gamma1")
        }
    }
}

/// Capacitances between regions and to the gates, in e² / (k_B T); all ≥ 0.
public struct CapacitanceSpec: Sendable, Hashable {
    public var c12 = 0.0, c13 = 0.0, c23 = 0.0
    public var c1g = 0.0, c2g = 0.0, c3g = 0.0
    public init(c12: Double = 0, c13: Double = 0, c23: Double = 0, c1g: Double = 0, c2g: Double = 0, c3g: Double = 0) {
        (self.c12, self.c13, self.c23, self.c1g, self.c2g, self.c3g) = (c12, c13, c23, c1g, c2g, c3g)
    }
}

/// A validated job file: what to compute and where to write it.
public struct ScanJob: Sendable {
    /// Optional human-readable title (stored in the output file).
    public var title: String?
    public var model: ModelSpec
    public var grid: ScanGrid
    /// The `[solver]` section, checked for syntax; applied to the physics
    /// defaults by `SolverOverrides.apply(to:)`.
    public var solverOverrides: SolverOverrides
    /// `[output] file`, relative to the current directory; nil when absent
    /// (then `--output` must name the file).
    public var outputPath: String?
    /// `[output] compression`: how the finished file stores the results
    /// (`"none"`, the default, or `"deflate"`).
    public var compression: ResultCompression = .none
    /// The job file's text, verbatim (stored in the output file).
    public var text: String

    /// Parses and validates a job file. Throws a `JobError` naming the first
    /// offending key.
    public init(parsing text: String) throws(JobError) {
        let root: TOMLTable
        do {
            root = try TOMLParser.parse(text)
        } catch {
            throw JobError(error)
        }
        self.text = text

        var top = TableReader(root, path: "")
        title = try top.string("title", allowEmpty: true)
        guard let modelTable = try top.subtable("model") else {
            throw top.missing("model", "a [model] table with at least gamma (or gamma1 and gamma3)")
        }
        guard let gridTable = try top.subtable("grid") else {
            throw top.missing("grid", "a [grid] table with eps1, eps3 and dT")
        }
        let solverTable = try top.subtable("solver")
        let outputTable = try top.subtable("output")
        try top.finish()

        model = try ScanJob.parseModel(modelTable)
        grid = try ScanGrid(parsing: gridTable)
        solverOverrides = try SolverOverrides(parsing: solverTable ?? TOMLTable(line: root.line))
        if let outputTable {
            var output = TableReader(outputTable, path: "output")
            outputPath = try output.string("file")
            if let name = try output.string("compression") {
                guard let value = ResultCompression(rawValue: name) else {
                    let allowed = ResultCompression.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: " or ")
                    throw output.error(
                        "compression", "output.compression = \(TOMLValue.string(name).shortText()) is not allowed; allowed: \(allowed)")
                }
                compression = value
            }
            try output.finish()
            if outputPath == nil { throw output.missing("file", "the HDF5 file to write, e.g. file = \"out/scan.h5\"") }
        } else {
            outputPath = nil
        }
    }

    private static func parseModel(_ table: TOMLTable) throws(JobError) -> ModelSpec {
        var reader = TableReader(table, path: "model")
        func read(_ parameter: ModelParameter, from reader: inout TableReader) throws(JobError) -> Double? {
            try reader.real(parameter.key, allowed: parameter.allowed, parameter.isAllowed)
        }
        // Read in the order of `ModelParameter.all` so the first bad key is reported first.
        var given: [String: Double] = [:]
        for parameter in [ModelParameter.mu, .gamma, .gamma1, .gamma3, .lambda, .d] {
            given[parameter.key] = try read(parameter, from: &reader)
        }
        var model = ModelSpec(gamma1: 1, gamma3: 1)
        for parameter in [ModelParameter.mu, .lambda, .d] {
            if let value = given[parameter.key] ?? parameter.defaultValue { model.set(parameter, to: value) }
        }
        let (gamma, gamma1, gamma3) = (given["gamma"], given["gamma1"], given["gamma3"])
        model.screening = try reader.boolean("screening") ?? false
        let capacitanceTable = try reader.subtable("capacitances")
        try reader.finish()

        let widths: (Double, Double)
        do {
            widths = try ModelSpec.widths(gamma: gamma, gamma1: gamma1, gamma3: gamma3)
        } catch {
            switch error {
            case .bothSet(let other):
                throw reader.error(other, "model.gamma and model.\(other) are both set; use either gamma (gamma1 = gamma3) or gamma1 and gamma3")
            case .missing("gamma"):
                throw reader.missing("gamma", "the resonance width (gamma, or gamma1 and gamma3), a finite number > 0")
            case .missing(let name):
                let other = name == "gamma1" ? "gamma3" : "gamma1"
                throw reader.missing(name, "\(other) is set, so \(name) must be set too (or use gamma for both)")
            }
        }

        (model.gamma1, model.gamma3) = widths
        if let capacitanceTable {
            var c = TableReader(capacitanceTable, path: ModelParameter.Section.capacitances.rawValue)
            for parameter in ModelParameter.capacitances {
                if let value = try read(parameter, from: &c) ?? parameter.defaultValue { model.set(parameter, to: value) }
            }
            try c.finish()
            // Capacitances only enter the screening model: without it a
            // non-zero one would be ignored silently (`diodescan point`
            // refuses the same; zeros are the default and harmless).
            if !model.screening, let parameter = ModelParameter.capacitances.first(where: { model[$0] != 0 }) {
                throw c.error(parameter.key, ModelParameter.refusalWithoutScreening(
                    of: "\(parameter.jobKey) = \(c.table[parameter.key]?.value.shortText() ?? "\(model[parameter] ?? .nan)")",
                    screening: "model.screening = true"))
            }
        }
        return model
    }
}
