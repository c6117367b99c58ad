import DiodePhysics

extension ModelSpec {
    /// The physics parameters of the grid point (ε1, ε3).
    public func parameters(eps1: Double, eps3: Double) -> DeviceParameters {
        var c = Capacitances()
        c.c12 = capacitances.c12
        c.c13 = capacitances.c13
        c.c23 = capacitances.c23
        c.c1g = capacitances.c1g
        c.c2g = capacitances.c2g
        c.c3g = capacitances.c3g
        return DeviceParameters(eps1: eps1, eps3: eps3, gamma1: gamma1, gamma3: gamma3, mu: mu,
                                lambda: lambda, d: d, screening: screening, capacitances: c)
    }
}

/// The device and ΔT at each grid point: the job's fixed values with the
/// axes' values set. The job layer's mapping from axis keys to the physics,
/// so that the engine stays generic over the axes.
public struct PointMapping: Sendable {
    /// What an axis (or a fixed coordinate) sets.
    enum Target: Sendable {
        case eps1, eps3, dT, detuning, asymmetry, gamma, gamma1, gamma3, mu, lambda, d
        case c12, c13, c23, c1g, c2g, c3g

        init?(_ key: String) {
            switch key {
            case "eps1": self = .eps1
            case "eps3": self = .eps3
            case "dT": self = .dT
            case "detuning": self = .detuning
            case "asymmetry": self = .asymmetry
            case "gamma": self = .gamma
            case "gamma1": self = .gamma1
            case "gamma3": self = .gamma3
            case "mu": self = .mu
            case "lambda": self = .lambda
            case "d": self = .d
            case "c12": self = .c12
            case "c13": self = .c13
            case "c23": self = .c23
            case "c1g": self = .c1g
            case "c2g": self = .c2g
            case "c3g": self = .c3g
            default: return nil
            }
        }
    }

    /// Every coordinate of one point, before ε1, ε3 are settled.
    public struct Coordinates: Sendable {
        var model: ModelSpec
        var eps1 = 0.0, eps3 = 0.0, dT = 0.0, detuning = 0.0, asymmetry = 0.0
        /// ε1, ε3 come from detuning and asymmetry.
        let rotated: Bool

        mutating func set(_ target: Target, _ value: Double) {
            switch target {
            case .eps1: eps1 = value
            case .eps3: eps3 = value
            case .dT: dT = value
            case .detuning: detuning = value
            case .asymmetry: asymmetry = value
            case .gamma: (model.gamma1, model.gamma3) = (value, value)
            case .gamma1: model.gamma1 = value
            case .gamma3: model.gamma3 = value
            case .mu: model.mu = value
            case .lambda: model.lambda = value
            case .d: model.d = value
            case .c12: model.capacitances.c12 = value
            case .c13: model.capacitances.c13 = value
            case .c23: model.capacitances.c23 = value
            case .c1g: model.capacitances.c1g = value
            case .c2g: model.capacitances.c2g = value
            case .c3g: model.capacitances.c3g = value
            }
        }

        /// The physics parameters and ΔT. With detuning and asymmetry,
        /// ε1 = (μ + detuning) + asymmetry and ε3 = (μ + detuning) − asymmetry
        /// (exact where the values are exactly representable, e.g. halves).
        public var point: (parameters: DeviceParameters, deltaT: Double) {
            let (e1, e3) = rotated
                ? ((model.mu + detuning) + asymmetry, (model.mu + detuning) - asymmetry)
                : (eps1, eps3)
            return (model.parameters(eps1: e1, eps3: e3), dT)
        }
    }

    let base: Coordinates
    /// One per axis, outermost first.
    let targets: [Target]
    public let axes: ScanAxes

    init(job: ScanJob) {
        var base = Coordinates(model: job.model, rotated: job.grid.axes.dimensions.contains { ["detuning", "asymmetry"].contains($0.key) }
                                 || job.fixedCoordinates.contains { ["detuning", "asymmetry"].contains($0.key) })
        for (key, value) in job.fixedCoordinates {
            if let target = Target(key) { base.set(target, value) }
        }
        self.base = base
        axes = job.grid.axes
        // Unreachable fallback: every axis key is a table key (`ScanGrid`
        // refuses others) and every table key has a target
        // (`ScanAxesTests` covers each); it only keeps the mapping total.
        targets = axes.dimensions.map { Target($0.key) ?? .dT }
    }

    /// The coordinates of a tile's line: the outer axes set to the tile's
    /// values (the innermost is set point by point, `set(inner:in:)`).
    public func line(_ outer: [Int]) -> Coordinates {
        var coordinates = base
        for (position, index) in outer.enumerated() {
            coordinates.set(targets[position], axes.dimensions[position].values[index])
        }
        return coordinates
    }

    /// Sets the innermost axis to its value at `index`.
    public func set(inner index: Int, in coordinates: inout Coordinates) {
        coordinates.set(targets[targets.count - 1], axes.inner.values[index])
    }

    /// The point at `indices` (one per axis, outermost first).
    public func point(at indices: [Int]) -> (parameters: DeviceParameters, deltaT: Double) {
        var coordinates = line(Array(indices.dropLast()))
        set(inner: indices[indices.count - 1], in: &coordinates)
        return coordinates.point
    }
}

/// A job with its solver settings resolved against the physics defaults and
/// checked by the physics itself: everything a scan needs, validated before
/// any work starts.
public struct ResolvedJob: Sendable {
    public var job: ScanJob
    public var settings: SolverSettings

    /// Applies `[solver]` to `SolverSettings.default` and lets `DiodeSolver`
    /// validate the model and settings at the first grid point, at every
    /// value of every axis (the others at their first value), and at the
    /// last corner of the grid. The table already checked each value's
    /// range; this is the physics' own check of the combinations (a
    /// detuning and an asymmetry whose sum overflows, say).
    public init(_ job: ScanJob) throws(JobError) {
        self.job = job
        settings = try job.solverOverrides.apply(to: SolverSettings.default)
        let mapping = PointMapping(job: job)
        let axes = job.grid.axes
        let settings = settings
        func validate(_ indices: [Int]) throws(JobError) {
            let (parameters, deltaT) = mapping.point(at: indices)
            do {
                _ = try DiodeSolver(parameters: parameters, settings: settings)
                try DeviceParameters.validate(deltaT: deltaT)
            } catch {
                throw ResolvedJob.jobError(from: error, at: indices, of: job)
            }
        }
        let first = axes.dimensions.map { _ in 0 }
        try validate(first)
        for (position, axis) in axes.dimensions.enumerated() {
            for index in axis.values.indices.dropFirst() {
                var indices = first
                indices[position] = index
                try validate(indices)
            }
        }
        try validate(axes.dimensions.map { $0.values.count - 1 })
    }

    /// The point mapping of this job (the device and ΔT at each grid point).
    public var mapping: PointMapping { PointMapping(job: job) }

    /// `jobError(from:)`, naming the grid point when the field is an axis or
    /// follows from axes (`eps1` from detuning and asymmetry).
    static func jobError(from error: DiodeParameterError, at indices: [Int], of job: ScanJob) -> JobError {
        let axes = job.grid.axes
        switch error {
        case let .invalid(field, requirement, value):
            let point = zip(axes.dimensions, indices).map { "\($0.key) = \($0.values[$1])" }.joined(separator: ", ")
            if axes.dimensions.contains(where: { $0.key == field })
                || (["eps1", "eps3"].contains(field) && job.fixedCoordinates.allSatisfy { !["eps1", "eps3"].contains($0.key) }) {
                return JobError(line: nil, key: "grid", message: "\(field) = \(value) at the grid point (\(point)) is out of range; "
                                + "allowed: \(requirement)")
            }
            return jobError(from: error)
        }
    }

    /// Names a physics validation error by its job-file key
    /// (`relativeTolerance` → `solver.relative_tolerance`, `gamma1` → `model.gamma1`).
    static func jobError(from error: DiodeParameterError) -> JobError {
        switch error {
        case let .invalid(field, requirement, value):
            let key = SolverParameter.named(property: field)?.jobKey
                ?? ModelParameter.named(field)?.jobKey
                ?? "model.\(field)"
            return JobError(line: nil, key: key, message: "\(key) = \(value) is out of range; allowed: \(requirement)")
        }
    }

    public var grid: ScanGrid { job.grid }

    /// The solver settings as (dotted job key, value text) pairs, in declaration order.
    public var settingsFields: [(key: String, value: String)] {
        SolverParameter.all.map { ($0.key, $0.valueText(in: settings)) }
    }

    /// Whether the stored parameter `parameter` is an axis (both widths
    /// are, when `gamma` is).
    func isAxis(_ parameter: ModelParameter) -> Bool {
        let keys = grid.axes.dimensions.map(\.key)
        return keys.contains(parameter.key)
            || (keys.contains("gamma") && [ModelParameter.gamma1.key, ModelParameter.gamma3.key].contains(parameter.key))
    }

    /// Everything that determines the numbers in the file, one item per line:
    /// the model, every axis value and every solver setting (not the title or
    /// output path). Two jobs with the same description compute the same file.
    ///
    /// A fixed parameter is a `model.` line, an axis a `grid.` line (innermost
    /// first, as in the job: the order decides the tiles, so it is part of
    /// the job), never both. The paper's jobs (every device parameter fixed,
    /// axes eps1, eps3, dT) give the same lines, in the same order, as before
    /// general axes: the fingerprints of existing files do not change, and a
    /// job with other axes lacks a `model.` line they have, so it cannot
    /// collide with them.
    public var canonicalDescription: String {
        let m = job.model
        var lines = ["diodescan scan job, normalised"]
        for parameter in ModelParameter.device where !isAxis(parameter) {
            lines.append("\(parameter.jobKey) = \(m[parameter] ?? .nan)")
        }
        lines.append("model.screening = \(m.screening)")
        for parameter in ModelParameter.capacitances where !isAxis(parameter) {
            lines.append("\(parameter.jobKey) = \(m[parameter] ?? .nan)")
        }
        for (key, value) in job.fixedCoordinates { lines.append("model.\(key) = \(value)") }
        for axis in grid.axes.dimensions.reversed() { lines.append("grid.\(axis.key) = \(axis.values)") }
        for (key, value) in settingsFields { lines.append("solver.\(key) = \(value)") }
        // Only when asked for: the fingerprints of jobs without extras are unchanged.
        if !job.extras.isEmpty { lines.append("output.extras = \(job.extras)") }
        return lines.joined(separator: "\n")
    }

    /// A short fingerprint of `canonicalDescription` (64-bit FNV-1a, hex),
    /// stored in the result file so that `--resume` can refuse another job.
    public var fingerprint: String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in canonicalDescription.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return "fnv1a64:" + String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// Every model and solver parameter as root attributes of the result file.
    public var metadataParameters: [ScanMetadata.Parameter] {
        let m = job.model
        var parameters: [ScanMetadata.Parameter] = []
        // Axes are coordinates of the file, not attributes.
        for parameter in ModelParameter.device where !isAxis(parameter) {
            parameters.append(.init(parameter.key, .double(m[parameter] ?? .nan)))
        }
        parameters.append(.init("screening", .int(m.screening ? 1 : 0)))
        for parameter in ModelParameter.capacitances where !isAxis(parameter) {
            parameters.append(.init(parameter.key, .double(m[parameter] ?? .nan)))
        }
        for (key, value) in job.fixedCoordinates { parameters.append(.init(key, .double(value))) }
        for setting in SolverParameter.all {
            switch setting.kind {
            case .real(let keyPath): parameters.append(.init(setting.attributeName, .double(settings[keyPath: keyPath])))
            case .integer(let keyPath):
                parameters.append(.init(setting.attributeName, .int(Int64(settings[keyPath: keyPath]))))
            case .boolean(let keyPath): parameters.append(.init(setting.attributeName, .int(settings[keyPath: keyPath] ? 1 : 0)))
            }
        }
        if let title = job.title { parameters.append(.init("job_title", .string(title))) }
        return parameters
    }
}
