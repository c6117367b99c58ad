import DiodePhysics

/// One setting of the physics' `SolverSettings`, as job files, the
/// fingerprint, the result file's `solver_*` attributes and the dry run
/// name it: the single list of what `[solver]` may override.
///
/// A new field of `SolverSettings` (or `NewtonSettings`) needs one entry in
/// `all`, in declaration order: `SolverParameterTests` compares the list with
/// the settings' stored properties and fails until it is added.
public struct SolverParameter: Sendable {
    /// Where the value lives in `SolverSettings`, and its type in job files.
    public enum Kind: Sendable {
        /// A finite number (an integer in the job file is accepted).
        case real(any WritableKeyPath<SolverSettings, Double> & Sendable)
        /// An integer.
        case integer(any WritableKeyPath<SolverSettings, Int> & Sendable)
        /// `true` or `false`.
        case boolean(any WritableKeyPath<SolverSettings, Bool> & Sendable)
    }

    /// The key under `[solver]`, dotted for a nested table: `newton.step_tolerance`.
    public let key: String
    /// The Swift property path in `SolverSettings`, as the physics names it
    /// in `DiodeParameterError.invalid(field:…)`: `newton.stepTolerance`.
    public let property: String
    public let kind: Kind
    /// What the setting does (documentation; the physics' doc comment in short).
    public let summary: String

    init(_ key: String, property: String, _ kind: Kind, _ summary: String) {
        self.key = key
        self.property = property
        self.kind = kind
        self.summary = summary
    }

    /// The job-file path: `solver.newton.step_tolerance`.
    public var jobKey: String { "solver.\(key)" }

    /// The key's parts from `[solver]` down: ["newton", "step_tolerance"].
    public var path: [String] { key.split(separator: ".").map(String.init) }

    /// The root attribute of the result file: `solver_newton_step_tolerance`.
    public var attributeName: String { "solver_" + path.joined(separator: "_") }

    /// The value in `settings` as Swift prints it (`1e-09`, `60`, `true`):
    /// the text of the fingerprint and of the dry run.
    public func valueText(in settings: SolverSettings) -> String {
        switch kind {
        case .real(let keyPath): "\(settings[keyPath: keyPath])"
        case .integer(let keyPath): "\(settings[keyPath: keyPath])"
        case .boolean(let keyPath): "\(settings[keyPath: keyPath])"
        }
    }

    /// What job files must give for this setting, in words (for type errors).
    var expected: String {
        switch kind {
        case .real: "a number"
        case .integer: "an integer"
        case .boolean: "true or false"
        }
    }
}

extension SolverParameter {
    /// Every setting, in the declaration order of `SolverSettings` (nested
    /// settings in place): the order of the fingerprint's lines and of the
    /// attributes, which must not change for existing files.
    public static let all: [SolverParameter] = [
        SolverParameter("relative_tolerance", property: "relativeTolerance", .real(\.relativeTolerance),
                        "quadrature tolerance of the currents and residuals, relative to ∫|integrand|"),
        SolverParameter("jacobian_relative_tolerance", property: "jacobianRelativeTolerance",
                        .real(\.jacobianRelativeTolerance), "quadrature tolerance of the Jacobian and gradient integrals"),
        SolverParameter("maximum_evaluations", property: "maximumEvaluations", .integer(\.maximumEvaluations),
                        "integrand evaluations per integral before the solve counts as not converged"),
        SolverParameter("newton.step_tolerance", property: "newton.stepTolerance", .real(\.newton.stepTolerance),
                        "converged when a full Newton step is at most this large in every unknown"),
        SolverParameter("newton.maximum_iterations", property: "newton.maximumIterations",
                        .integer(\.newton.maximumIterations), "at most this many Newton iterations"),
        SolverParameter("newton.maximum_backtracks", property: "newton.maximumBacktracks",
                        .integer(\.newton.maximumBacktracks), "at most this many step halvings per iteration"),
        SolverParameter("closed_forms", property: "closedForms", .boolean(\.closedForms),
                        "use the digamma closed forms where they apply (λ = 1 without screening)"),
    ]

    /// The setting whose Swift property path is `property` (`newton.stepTolerance`).
    public static func named(property: String) -> SolverParameter? { all.first { $0.property == property } }
}
