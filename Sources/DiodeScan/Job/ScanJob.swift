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
    /// The fixed device parameters. A device parameter that is a `[grid]`
    /// axis holds the axis' first value here (`gamma`: both widths); the
    /// value at each point comes from the axis (`ScanJob.point`).
    public var model: ModelSpec
    public var grid: ScanGrid
    /// The point coordinates fixed in `[model]` (`eps1`, `eps3`, `dT`,
    /// `detuning`, `asymmetry`; the others are axes), in that order.
    public var fixedCoordinates: [(key: String, value: Double)] = []
    /// The `[solver]` section, checked for syntax; applied to the physics
    /// defaults by `SolverOverrides.apply(to:)`.
    public var solverOverrides: SolverOverrides
    /// `[output] file`, relative to the current directory; nil when absent
    /// (then `--output` must name the file).
    public var outputPath: String?
    /// `[output] compression`: how the finished file stores the results
    /// (`"none"`, the default, or `"deflate"`).
    public var compression: ResultCompression = .none
    /// `[output] extras`: the optional reference currents to store (`I_lin`,
    /// `J_lin`, `I_eqT`, `J_eqT`), in file order; empty by default.
    public var extras: [String] = []
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
            throw top.missing("grid", "a [grid] table with the scan's axes, innermost first (e.g. eps1, eps3 and dT)")
        }
        let solverTable = try top.subtable("solver")
        let outputTable = try top.subtable("output")
        try top.finish()

        grid = try ScanGrid(parsing: gridTable)
        (model, fixedCoordinates) = try ScanJob.parseModel(modelTable, grid: grid, gridTable: gridTable)
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
            extras = try ScanJob.parseExtras(&output)
            try output.finish()
            if outputPath == nil { throw output.missing("file", "the HDF5 file to write, e.g. file = \"out/scan.h5\"") }
        } else {
            outputPath = nil
        }
    }

    /// `[output] extras = ["I_lin", ...]`: any subset of the reference
    /// currents, each at most once.
    private static func parseExtras(_ output: inout TableReader) throws(JobError) -> [String] {
        guard let entry = output.value("extras") else { return [] }
        let allowed = ResultFileLayout.extraNames
        let allowedText = "a list of distinct names among " + allowed.map { "\"\($0)\"" }.joined(separator: ", ")
        guard case .array(let items) = entry.value else {
            throw output.error("extras", "output.extras = \(entry.value.shortText()) is a \(entry.value.typeName); expected \(allowedText)")
        }
        var names: [String] = []
        for (i, item) in items.enumerated() {
            guard case .string(let name) = item, allowed.contains(name) else {
                throw output.error("extras", "output.extras[\(i)] = \(item.shortText()) is not allowed; allowed: \(allowedText)")
            }
            guard !names.contains(name) else {
                throw output.error("extras", "output.extras lists \"\(name)\" twice; allowed: \(allowedText)")
            }
            names.append(name)
        }
        return allowed.filter(names.contains)
    }

    /// The point coordinates a `[model]` table may fix instead of a `[grid]`
    /// axis, in the order they are read and listed.
    static let coordinateParameters: [ModelParameter] = [.eps1, .eps3, .dT, .detuning, .asymmetry]

    /// `[model]` against the grid: every parameter is either fixed here or
    /// an axis, never both; ε1 and ε3 come from eps1 and eps3 or from
    /// detuning and asymmetry (fixed or axes), never a mixture; ΔT must be
    /// given (fixed or an axis: there is no default for the quantity the
    /// whole scan is about).
    private static func parseModel(_ table: TOMLTable, grid: ScanGrid, gridTable: TOMLTable)
        throws(JobError) -> (ModelSpec, [(key: String, value: Double)]) {
        var reader = TableReader(table, path: "model")
        func read(_ parameter: ModelParameter, from reader: inout TableReader) throws(JobError) -> Double? {
            try reader.real(parameter.key, allowed: parameter.allowed, parameter.isAllowed)
        }
        let axisKeys = Set(grid.axes.dimensions.map(\.key))
        func axisLine(_ key: String) -> Int? { gridTable[key]?.line }
        // Where a parameter is given, for messages: `model.gamma` or `grid.gamma`.
        func place(_ key: String) -> String { axisKeys.contains(key) ? "grid.\(key)" : "model.\(key)" }
        func refuseBoth(_ jobKey: String, line: Int?, _ key: String) -> JobError {
            JobError(line: line, key: jobKey,
                     message: "\(jobKey) and grid.\(key) are both set; a parameter is either fixed in [model] "
                     + "or an axis in [grid], not both")
        }
        // Read in the order of `ModelParameter.all` so the first bad key is reported first.
        var given: [String: Double] = [:]
        for parameter in [ModelParameter.mu, .gamma, .gamma1, .gamma3, .lambda, .d] + coordinateParameters {
            given[parameter.key] = try read(parameter, from: &reader)
        }
        for key in given.keys.sorted() where axisKeys.contains(key) {
            throw refuseBoth("model.\(key)", line: table[key]?.line, key)
        }
        var model = ModelSpec(gamma1: 1, gamma3: 1)
        for parameter in [ModelParameter.mu, .lambda, .d] {
            let axisStart = grid.values(of: parameter.key).first
            if let value = given[parameter.key] ?? axisStart ?? parameter.defaultValue { model.set(parameter, to: value) }
        }
        // A width that is an axis counts as given (its first value stands in).
        func width(_ key: String) -> Double? { given[key] ?? grid.values(of: key).first }
        let (gamma, gamma1, gamma3) = (width("gamma"), width("gamma1"), width("gamma3"))
        model.screening = try reader.boolean("screening") ?? false
        let capacitanceTable = try reader.subtable("capacitances")
        try reader.finish()

        let widths: (Double, Double)
        do {
            widths = try ModelSpec.widths(gamma: gamma, gamma1: gamma1, gamma3: gamma3)
        } catch {
            switch error {
            case .bothSet(let other):
                let message = "\(place("gamma")) and \(place(other)) are both set; use either gamma (gamma1 = gamma3) or gamma1 and gamma3"
                if axisKeys.contains(other) { throw JobError(line: axisLine(other), key: "grid.\(other)", message: message) }
                throw reader.error(other, message)
            case .missing("gamma"):
                throw reader.missing("gamma", "the resonance width (gamma, or gamma1 and gamma3), a finite number > 0; "
                                     + "fixed here or an axis in [grid]")
            case .missing(let name):
                let other = name == "gamma1" ? "gamma3" : "gamma1"
                throw reader.missing(name, "\(place(other)) is set, so \(name) must be set too, here or as an axis "
                                     + "in [grid] (or use gamma for both)")
            }
        }

        (model.gamma1, model.gamma3) = widths
        var fixedCapacitances = Set<String>()
        if let capacitanceTable {
            var c = TableReader(capacitanceTable, path: ModelParameter.Section.capacitances.rawValue)
            for parameter in ModelParameter.capacitances {
                if let value = try read(parameter, from: &c) {
                    if axisKeys.contains(parameter.key) {
                        throw refuseBoth(parameter.jobKey, line: capacitanceTable[parameter.key]?.line, parameter.key)
                    }
                    model.set(parameter, to: value)
                    fixedCapacitances.insert(parameter.key)
                }
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
        for parameter in ModelParameter.capacitances where !fixedCapacitances.contains(parameter.key) {
            if let value = grid.values(of: parameter.key).first ?? parameter.defaultValue { model.set(parameter, to: value) }
            // A capacitance acts only through the screening potentials: as an
            // axis without screening every value would give the same numbers.
            // (Fixed capacitances without screening are accepted, as before.)
            if axisKeys.contains(parameter.key) && !model.screening {
                throw JobError(line: axisLine(parameter.key), key: "grid.\(parameter.key)",
                               message: "grid.\(parameter.key) is an axis but model.screening is false; capacitances act "
                               + "only with screening: set screening = true")
            }
        }

        // ε1, ε3 from one of two pairs, and ΔT.
        func isSet(_ key: String) -> Bool { given[key] != nil || axisKeys.contains(key) }
        let plain = ["eps1", "eps3"].filter(isSet), rotated = ["detuning", "asymmetry"].filter(isSet)
        func jobError(_ key: String, _ message: String) -> JobError {
            axisKeys.contains(key)
                ? JobError(line: axisLine(key), key: "grid.\(key)", message: message)
                : JobError(line: table[key]?.line ?? table.line, key: "model.\(key)", message: message)
        }
        if let first = plain.first, let other = rotated.first {
            throw jobError(other, "\(place(other)) cannot be combined with \(place(first)): give the resonance energies "
                           + "either as eps1 and eps3 or as detuning and asymmetry (eps1 = mu + detuning + asymmetry, "
                           + "eps3 = mu + detuning - asymmetry)")
        }
        let pair = rotated.isEmpty ? ["eps1", "eps3"] : ["detuning", "asymmetry"]
        for key in pair + ["dT"] where !isSet(key) {
            let hint = key == "dT"
                ? "give the temperature difference as dT = 1.0 in [model] or as an axis in [grid]"
                : "give it in [model] (one value) or as an axis in [grid]"
                  + (rotated.isEmpty ? " (or give detuning and asymmetry instead of eps1 and eps3)" : "")
            throw JobError(line: table.line, key: "grid.\(key)", message: "\(key) is neither in [model] nor in [grid]: \(hint)")
        }
        let fixed = coordinateParameters.compactMap { parameter in given[parameter.key].map { (key: parameter.key, value: $0) } }
        return (model, fixed)
    }
}
