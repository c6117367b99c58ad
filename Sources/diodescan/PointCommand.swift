import ArgumentParser
import DiodePhysics
import DiodeScan
import Foundation

/// `diodescan point`: solves the forward and backward configurations of one
/// parameter point and prints currents, probe state and rectification.
struct PointCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "point",
        abstract: "Solve one parameter point (forward and backward) and print currents and rectification.",
        discussion: """
            Example (a point of the paper's Fig. 2):
              diodescan point --eps1 45 --eps3 44.8 --gamma 3 --mu 40 --lambda 1 --dT 1 --json
            With screening (a point of Fig. 3; capacitances default to 0, the paper's limit):
              diodescan point --eps1 46.5 --eps3 48.2 --gamma 1 --lambda 0 --screening --json
            Invalid input exits with status 2 and a one-line message naming the flag.
            "residual" (JSON and text) is max |F_i|/∫|integrand_i| of the self-consistency
            equations at the last Newton evaluation, one step before the returned state:
            an upper bound for the returned state's residual (see docs/physics.md §5).
            """)

    /// The model flags (`--eps1` … `--c3g`), from the parameter table.
    @OptionGroup var model: ModelOptions
    @Flag(help: "Print exactly one JSON object on stdout.")
    var json = false
    @Flag(help: "Also report the reference currents: linear response I_lin, J_lin and the equilibrium-transmission currents I_eqT, J_eqT (docs/physics.md §10).")
    var reference = false

    func run() throws {
        let (parameters, solver) = try model.validatedInput()
        try report(parameters: parameters, solver: solver)
    }

    private func report(parameters: DeviceParameters, solver: DiodeSolver) throws {
        let deltaT = model.deltaT
        let result = solver.solvePoint(deltaT: deltaT)
        let references = reference ? PointReport.references(solver: solver, deltaT: deltaT, result: result) : nil
        if json {
            print(PointReport.json(parameters: parameters, deltaT: deltaT, result: result, hasProbe: solver.hasProbe,
                                   references: references))
        } else {
            print(PointReport.text(parameters: parameters, deltaT: deltaT, result: result, hasProbe: solver.hasProbe,
                                   references: references))
        }
        let failed = [result.forward.status, result.backward.status].contains { $0 != .converged }
        if failed { throw ExitCode(1) }
    }
}

struct PointInputError: Error {
    let message: String
    init(_ message: String) { self.message = message }
}

/// Formatting of a point's results (JSON and human-readable).
enum PointReport {
    /// A JSON number, or null for NaN/±∞. Swift's shortest round-trip
    /// representation, so every digit printed is significant and re-reads
    /// to the same Double.
    static func number(_ x: Double) -> String {
        x.isFinite ? "\(x)" : "null"
    }

    static func configuration(_ r: ConfigurationResult, hasProbe: Bool, reference: ReferenceCurrents? = nil) -> String {
        let u = r.state.u
        var fields = [
            "\"I\": \(number(r.particleCurrent))",
            "\"J\": \(number(r.heatCurrent))",
            "\"mu_p\": \(hasProbe ? number(r.state.muP) : "null")",
            "\"T_p\": \(hasProbe ? number(r.state.tP) : "null")",
            "\"U\": [\(number(u[0])), \(number(u[1])), \(number(u[2]))]",
            "\"converged\": \(r.status == .converged)",
            "\"status\": \"\(statusName(r.storedStatus))\"",
            "\"multiple_solutions\": \(r.otherSolution != nil)",
            "\"iterations\": \(r.iterations)",
            "\"residual\": \(number(r.residual))",
        ]
        if let reference { fields += referenceFields(reference) }
        return "{" + fields.joined(separator: ", ") + "}"
    }

    /// The status as in the result files' `flag_meanings`.
    static func statusName(_ s: SolveStatus) -> String {
        switch s {
        case .converged: return "converged"
        case .notConverged: return "not_converged"
        case .nonFinite: return "non_finite"
        case .multipleSolutions: return "multiple_solutions"
        }
    }

    /// The reference currents of both configurations (docs/physics.md §10).
    static func references(solver: DiodeSolver, deltaT: Double, result: PointResult)
        -> (forward: ReferenceCurrents, backward: ReferenceCurrents) {
        (solver.referenceCurrents(deltaT: deltaT, configuration: .forward, result: result.forward),
         solver.referenceCurrents(deltaT: deltaT, configuration: .backward, result: result.backward))
    }

    /// JSON fields of `--reference`: L1_I = dI/ddT at dT = 0, I_lin = L1_I dT (and J),
    /// I_eqT, J_eqT the currents with the equilibrium transmission (U = 0).
    static func referenceFields(_ r: ReferenceCurrents) -> [String] {
        ["\"L1_I\": \(number(r.linearResponse.particle))", "\"L1_J\": \(number(r.linearResponse.heat))",
         "\"I_lin\": \(number(r.linearParticleCurrent))", "\"J_lin\": \(number(r.linearHeatCurrent))",
         "\"I_eqT\": \(number(r.equilibriumTransmission.particleCurrent))",
         "\"J_eqT\": \(number(r.equilibriumTransmission.heatCurrent))"]
    }

    static func json(parameters p: DeviceParameters, deltaT: Double, result: PointResult, hasProbe: Bool,
                     references: (forward: ReferenceCurrents, backward: ReferenceCurrents)? = nil) -> String {
        return "{\"parameters\": \(parametersObject(p, deltaT: deltaT)), "
            + "\"forward\": \(configuration(result.forward, hasProbe: hasProbe, reference: references?.forward)), "
            + "\"backward\": \(configuration(result.backward, hasProbe: hasProbe, reference: references?.backward)), "
            + "\"R_I\": \(number(result.rectificationI)), \"R_J\": \(number(result.rectificationJ))}"
    }

    /// The "parameters" object, from the parameter table: the point's
    /// parameters (`ModelParameter.point`), `screening`, then the
    /// capacitances as a nested object.
    static func parametersObject(_ p: DeviceParameters, deltaT: Double) -> String {
        func members(_ parameters: [ModelParameter]) -> [String] {
            parameters.map { "\"\($0.key)\": \(number(p.value(of: $0, deltaT: deltaT) ?? .nan))" }
        }
        let capacitances = "{" + members(ModelParameter.capacitances).joined(separator: ", ") + "}"
        let fields = members(ModelParameter.point)
            + ["\"\(ModelParameter.screeningKey)\": \(p.screening)", "\"capacitances\": \(capacitances)"]
        return "{" + fields.joined(separator: ", ") + "}"
    }

    static func text(parameters p: DeviceParameters, deltaT: Double, result: PointResult, hasProbe: Bool,
                     references: (forward: ReferenceCurrents, backward: ReferenceCurrents)? = nil) -> String {
        func status(_ s: SolveStatus) -> String {
            switch s {
            case .converged: return "converged"
            case .notConverged: return "NOT CONVERGED"
            case .nonFinite: return "NON-FINITE"
            case .multipleSolutions: return "converged, MULTIPLE SOLUTIONS (the equilibrium branch is reported)"
            }
        }
        var lines = [
            "eps1 = \(p.eps1)  eps3 = \(p.eps3)  gamma1 = \(p.gamma1)  gamma3 = \(p.gamma3)",
            "mu = \(p.mu)  lambda = \(p.lambda)  d = \(p.d)  dT = \(deltaT)  screening = \(p.screening)",
            "",
        ]
        for (name, r, reference) in [("forward  (T_L = 1 + dT)", result.forward, references?.forward),
                                     ("backward (T_R = 1 + dT)", result.backward, references?.backward)] {
            lines.append("\(name): \(status(r.storedStatus)), \(r.iterations) iterations, "
                         + "residual \(r.residual) (last evaluation, a bound for this state's)")
            lines.append("  I   = \(r.particleCurrent)   [k_B T/h]")
            lines.append("  J   = \(r.heatCurrent)   [(k_B T)^2/h]")
            if hasProbe {
                lines.append("  mu_p = \(r.state.muP)   T_p = \(r.state.tP)")
            }
            if p.screening {
                lines.append("  U   = [\(r.state.u[0]), \(r.state.u[1]), \(r.state.u[2])]   [k_B T]")
            }
            if let other = r.otherSolution {
                lines.append("  another self-consistent solution: U = [\(other.u[0]), \(other.u[1]), \(other.u[2])]"
                             + (hasProbe ? "  mu_p = \(other.muP)  T_p = \(other.tP)" : ""))
            }
            if let reference {
                lines.append("  I_lin = \(reference.linearParticleCurrent)   J_lin = \(reference.linearHeatCurrent)"
                             + "   (linear response L1 dT)")
                lines.append("  I_eqT = \(reference.equilibriumTransmission.particleCurrent)   "
                             + "J_eqT = \(reference.equilibriumTransmission.heatCurrent)   (equilibrium transmission, U = 0)")
            }
        }
        lines.append("")
        lines.append("R_I = \(result.rectificationI)")
        lines.append("R_J = \(result.rectificationJ)")
        return lines.joined(separator: "\n")
    }
}

/// One line on stderr, prefixed "error: ".
func printError(_ message: String) {
    FileHandle.standardError.write(Data("error: \(message)\n".utf8))
}
