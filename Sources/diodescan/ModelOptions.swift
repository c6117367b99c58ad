import ArgumentParser
import DiodePhysics
import DiodeScan

/// The model flags of `diodescan point` and `spectrum`, one per parameter of
/// the table (`ModelParameter`): each flag's name, help text, default and
/// allowed range come from there, and `validated()` checks them there, once.
struct ModelOptions: ParsableArguments {
    @Option(name: .customLong(ModelParameter.eps1.key), parsing: .unconditional,
            help: ModelOptions.help(.eps1))
    var eps1: Double
    @Option(name: .customLong(ModelParameter.eps3.key), parsing: .unconditional,
            help: ModelOptions.help(.eps3))
    var eps3: Double
    @Option(name: .customLong(ModelParameter.gamma.key), parsing: .unconditional,
            help: ModelOptions.help(.gamma, note: "or --gamma1 and --gamma3, not both"))
    var gamma: Double?
    @Option(name: .customLong(ModelParameter.gamma1.key), parsing: .unconditional,
            help: ModelOptions.help(.gamma1))
    var gamma1: Double?
    @Option(name: .customLong(ModelParameter.gamma3.key), parsing: .unconditional,
            help: ModelOptions.help(.gamma3))
    var gamma3: Double?
    @Option(name: .customLong(ModelParameter.mu.key), parsing: .unconditional,
            help: ModelOptions.help(.mu))
    var mu: Double = ModelParameter.Default.mu
    @Option(name: .customLong(ModelParameter.lambda.key), parsing: .unconditional,
            help: ModelOptions.help(.lambda))
    var lambda: Double = ModelParameter.Default.lambda
    @Option(name: .customLong(ModelParameter.d.key), parsing: .unconditional,
            help: ModelOptions.help(.d))
    var d: Double = ModelParameter.Default.d
    @Option(name: .customLong(ModelParameter.dT.key), parsing: .unconditional,
            help: ModelOptions.help(.dT))
    var deltaT: Double = ModelParameter.Default.dT
    @Flag(help: ArgumentHelp(ModelOptions.sentence(ModelParameter.screeningSummary) + "."))
    var screening = false
    @Option(name: .customLong(ModelParameter.c12.key), parsing: .unconditional,
            help: ModelOptions.help(.c12, note: "screening only"))
    var c12: Double = ModelParameter.Default.capacitance
    @Option(name: .customLong(ModelParameter.c13.key), parsing: .unconditional,
            help: ModelOptions.help(.c13, note: "screening only"))
    var c13: Double = ModelParameter.Default.capacitance
    @Option(name: .customLong(ModelParameter.c23.key), parsing: .unconditional,
            help: ModelOptions.help(.c23, note: "screening only"))
    var c23: Double = ModelParameter.Default.capacitance
    @Option(name: .customLong(ModelParameter.c1g.key), parsing: .unconditional,
            help: ModelOptions.help(.c1g, note: "screening only"))
    var c1g: Double = ModelParameter.Default.capacitance
    @Option(name: .customLong(ModelParameter.c2g.key), parsing: .unconditional,
            help: ModelOptions.help(.c2g, note: "screening only"))
    var c2g: Double = ModelParameter.Default.capacitance
    @Option(name: .customLong(ModelParameter.c3g.key), parsing: .unconditional,
            help: ModelOptions.help(.c3g, note: "screening only"))
    var c3g: Double = ModelParameter.Default.capacitance

    /// The flag's help: the table's description, unit and allowed values.
    static func help(_ parameter: ModelParameter, note: String? = nil) -> ArgumentHelp {
        var text = sentence(parameter.summary)
        if parameter.unit != "1" { text += ", in \(parameter.unit)" }
        text += "; allowed: \(parameter.allowed)"
        if let note { text += "; \(note)" }
        return ArgumentHelp(text + ".")
    }

    /// The table's lower-case description as the start of a sentence.
    static func sentence(_ summary: String) -> String {
        summary.prefix(1).uppercased() + summary.dropFirst()
    }

    /// The value of the flag for `parameter` (its default when not given);
    /// nil for a width that was not given.
    func value(of parameter: ModelParameter) -> Double? {
        switch parameter.key {
        case ModelParameter.eps1.key: eps1
        case ModelParameter.eps3.key: eps3
        case ModelParameter.dT.key: deltaT
        case ModelParameter.gamma.key: gamma
        case ModelParameter.gamma1.key: gamma1
        case ModelParameter.gamma3.key: gamma3
        case ModelParameter.mu.key: mu
        case ModelParameter.lambda.key: lambda
        case ModelParameter.d.key: d
        case ModelParameter.c12.key: c12
        case ModelParameter.c13.key: c13
        case ModelParameter.c23.key: c23
        case ModelParameter.c1g.key: c1g
        case ModelParameter.c2g.key: c2g
        case ModelParameter.c3g.key: c3g
        default: nil
        }
    }

    /// The validated parameters and their solver; on invalid input prints
    /// one line naming the flag and throws ExitCode(2).
    func validatedInput() throws -> (DeviceParameters, DiodeSolver) {
        do {
            return try validated()
        } catch {
            printError(error.message)
            throw ExitCode(2)
        }
    }

    /// The parameters and their solver, or the one-line message naming the
    /// flag that is wrong (no solving: the fuzz tests call it). The table
    /// decides what is allowed, with the same rules as job files: one width
    /// rule (`ModelSpec.widths`), every value in its range, capacitances
    /// only with screening.
    func validated() throws(PointInputError) -> (DeviceParameters, DiodeSolver) {
        let widths: (Double, Double)
        do {
            widths = try ModelSpec.widths(gamma: gamma, gamma1: gamma1, gamma3: gamma3)
        } catch {
            switch error {
            case .bothSet(let other):
                throw PointInputError("--gamma and --\(other) are both set; use either --gamma (gamma1 = gamma3) or --gamma1 and --gamma3")
            case .missing("gamma"):
                throw PointInputError("--gamma (or both --gamma1 and --gamma3) is required, > 0")
            case .missing(let name):
                throw PointInputError("--\(name) (or --gamma) is required")
            }
        }
        // In the table's order, so the first flag out of range is the one named.
        for parameter in ModelParameter.all {
            if let value = value(of: parameter), !parameter.accepts(value) {
                throw PointInputError(parameter.refusal(of: "\(value)", as: "--\(parameter.key)"))
            }
        }
        if !screening, let parameter = ModelParameter.capacitances.first(where: { value(of: $0) != 0 }) {
            throw PointInputError(ModelParameter.refusalWithoutScreening(
                of: "--\(parameter.key) \(value(of: parameter) ?? .nan)", screening: "--screening"))
        }
        let capacitances = Capacitances(c12: c12, c13: c13, c23: c23, c1g: c1g, c2g: c2g, c3g: c3g)
        let parameters = DeviceParameters(eps1: eps1, eps3: eps3, gamma1: widths.0, gamma3: widths.1,
                                          mu: mu, lambda: lambda, d: d, screening: screening,
                                          capacitances: capacitances)
        do {
            // The physics' own check remains the library's guard; the table
            // accepts exactly what it accepts (`ModelParameterTests`).
            return (parameters, try DiodeSolver(parameters: parameters))
        } catch {
            throw PointInputError("\(error)")
        }
    }
}
