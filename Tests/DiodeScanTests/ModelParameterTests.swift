import DiodePhysics
import Testing

@testable import DiodeScan

/// The parameter table (`ModelParameter`) against the physics' own checks:
/// input is validated once, by the table, so the table must accept exactly
/// what `DeviceParameters.validate` accepts.
@Suite struct ModelParameterTests {
    static let probes: [Double] = [-.infinity, -1e300, -2, -1, -0.5, -1e-300, 0, 1e-300, 0.5, 1, 1.5, 40, 1e300, .infinity, .nan]

    /// Each parameter set to each probe in an otherwise valid device.
    @Test(arguments: ModelParameter.all.map(\.key))
    func tableAgreesWithThePhysics(key: String) throws {
        let parameter = try #require(ModelParameter.named(key))
        for value in Self.probes {
            var model = ModelSpec(gamma1: 1, gamma3: 1, screening: true)
            var eps1 = 40.0, eps3 = 41.0, deltaT = 1.0
            switch key {
            case "eps1": eps1 = value
            case "eps3": eps3 = value
            case "dT": deltaT = value
            default:
                let stored = model.set(parameter, to: value)
                #expect(stored)
            }
            let physicsAccepts: Bool
            do {
                try model.parameters(eps1: eps1, eps3: eps3).validate()
                try DeviceParameters.validate(deltaT: deltaT)
                physicsAccepts = true
            } catch {
                physicsAccepts = false
            }
            #expect(parameter.accepts(value) == physicsAccepts, "\(key) = \(value)")
        }
    }

    @Test func keysAreUniqueAndDefaultsAreAllowed() {
        #expect(Set(ModelParameter.all.map(\.key)).count == ModelParameter.all.count)
        for parameter in ModelParameter.all {
            if let value = parameter.defaultValue { #expect(parameter.accepts(value), "\(parameter.key)") }
        }
        // The defaults of the physics library are the table's.
        let physics = DeviceParameters(eps1: 0, eps3: 0, gamma1: 1, gamma3: 1)
        #expect(ModelParameter.mu.defaultValue == physics.mu)
        #expect(ModelParameter.lambda.defaultValue == physics.lambda)
        #expect(ModelParameter.d.defaultValue == physics.d)
    }

    /// Every stored parameter reads back what was set; `gamma` sets both widths.
    @Test func setAndGetRoundTrip() {
        var model = ModelSpec(gamma1: 1, gamma3: 1)
        for (i, parameter) in (ModelParameter.device + ModelParameter.capacitances).enumerated() {
            let stored = model.set(parameter, to: Double(i) + 0.25)
            #expect(stored)
            #expect(model[parameter] == Double(i) + 0.25)
        }
        model.set(.gamma, to: 7)
        #expect(model.gamma1 == 7 && model.gamma3 == 7)
        let storedCoordinate = model.set(.eps1, to: 3)
        #expect(!storedCoordinate && model[.eps1] == nil)
    }

    /// The fingerprint of the paper's Fig. 3 job is what it was before the
    /// table, so files written before it still resume.
    @Test func fingerprintUnchanged() throws {
        let text = """
            [model]
            gamma = 1.0
            lambda = 0.0
            screening = true
            [grid]
            eps1 = { from = 30.0, to = 54.0, count = 481 }
            eps3 = { from = 34.0, to = 54.0, count = 401 }
            dT   = [1.0]
            """
        let job = try ResolvedJob(try ScanJob(parsing: text))
        #expect(job.fingerprint == "fnv1a64:8a83a9a104aa1c91")
    }
}
