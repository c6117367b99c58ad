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

/// A job with its solver settings resolved against the physics defaults and
/// checked by the physics itself: everything a scan needs, validated before
/// any work starts.
public struct ResolvedJob: Sendable {
    public var job: ScanJob
    public var settings: SolverSettings

    /// Applies `[solver]` to `SolverSettings.default` and lets `DiodeSolver`
    /// validate the model and settings at the first grid point (the other
    /// points differ only in ε1, ε3, which the job already checked).
    public init(_ job: ScanJob) throws(JobError) {
        self.job = job
        settings = try job.solverOverrides.apply(to: SolverSettings.default)
        do {
            _ = try DiodeSolver(parameters: job.model.parameters(eps1: job.grid.eps1[0], eps3: job.grid.eps3[0]),
                                settings: settings)
        } catch {
            throw ResolvedJob.jobError(from: error)
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

    /// Everything that determines the numbers in the file, one item per line:
    /// the model, every axis value and every solver setting (not the title or
    /// output path). Two jobs with the same description compute the same file.
    public var canonicalDescription: String {
        let m = job.model
        var lines = ["diodescan scan job, normalised"]
        // Same lines, in the same order, as before the parameter table: the
        // fingerprints of existing files must not change.
        for parameter in ModelParameter.device { lines.append("\(parameter.jobKey) = \(m[parameter] ?? .nan)") }
        lines.append("model.screening = \(m.screening)")
        for parameter in ModelParameter.capacitances { lines.append("\(parameter.jobKey) = \(m[parameter] ?? .nan)") }
        lines.append("grid.eps1 = \(grid.eps1)")
        lines.append("grid.eps3 = \(grid.eps3)")
        lines.append("grid.dT = \(grid.dT)")
        for (key, value) in settingsFields { lines.append("solver.\(key) = \(value)") }
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
        for parameter in ModelParameter.device { parameters.append(.init(parameter.key, .double(m[parameter] ?? .nan))) }
        parameters.append(.init("screening", .int(m.screening ? 1 : 0)))
        for parameter in ModelParameter.capacitances { parameters.append(.init(parameter.key, .double(m[parameter] ?? .nan))) }
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
