import DiodePhysics
import XCTest

/// `DiodeSolver` takes the closed forms at λ = 1 without screening, and the
/// general quadrature (`SolverSettings.closedForms = false`) agrees with them:
/// each path is the other's oracle.
final class ClosedFormDispatchTests: XCTestCase {
    let general = SolverSettings(closedForms: false)

    func assertAgree(_ a: ConfigurationResult, _ b: ConfigurationResult, _ label: String,
                     file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.status, .converged, label, file: file, line: line)
        XCTAssertEqual(b.status, .converged, label, file: file, line: line)
        for (x, y, name) in [(a.particleCurrent, b.particleCurrent, "I"), (a.heatCurrent, b.heatCurrent, "J"),
                             (a.state.muP, b.state.muP, "mu_p"), (a.state.tP, b.state.tP, "T_p")] {
            XCTAssertEqual(x, y, accuracy: 1e-9 * max(abs(x), abs(y)), "\(label) \(name)", file: file, line: line)
        }
        XCTAssertEqual(a.state.u, .zero, label, file: file, line: line)
    }

    /// Fig. 2 settings (Γ = 3, μ = 40, ΔT = 1, d = 1) on a grid over the
    /// paper's window, both configurations, cold starts and continuation.
    func testFigure2GridAgreesWithQuadrature() throws {
        // (Off the zero lines of I, where a relative comparison means nothing:
        // there both paths agree to ~1e-11 absolute, ~1e-10 of the flows.)
        let offsets = [-10, -5, -1.5, 0.3, 4.8, 8.7, 10.5, 15]
        for e3 in [-6.0, 4.8, 8.7] {
            var fastGuess: (forward: InternalState?, backward: InternalState?) = (nil, nil)
            var slowGuess = fastGuess
            for e1 in offsets {
                let parameters = DeviceParameters(eps1: 40 + e1, eps3: 40 + e3, gamma1: 3, gamma3: 3, lambda: 1)
                let fast = try DiodeSolver(parameters: parameters)
                let slow = try DiodeSolver(parameters: parameters, settings: general)
                XCTAssertTrue(fast.closedFormApplies)
                let f = fast.solvePoint(deltaT: 1, guess: fastGuess)
                let s = slow.solvePoint(deltaT: 1, guess: slowGuess)
                assertAgree(f.forward, s.forward, "F (\(e1), \(e3))")
                assertAgree(f.backward, s.backward, "B (\(e1), \(e3))")
                XCTAssertEqual(f.rectificationJ, s.rectificationJ, accuracy: 1e-8, "R_J (\(e1), \(e3))")
                fastGuess = (f.forward.state, f.backward.state)
                slowGuess = (s.forward.state, s.backward.state)
            }
        }
    }

    /// Away from Fig. 2: other widths, lengths, ΔT (also negative) and
    /// asymmetric barriers, cold starts (a fixed pseudo-random sample).
    /// The general path runs 100× tighter than its defaults here (quadrature
    /// 1e-11, Newton step 1e-7): its default accuracy is relative to the
    /// gross flows, and where I is ~1e-3 of them (ε1 = 45.46, ε3 = 35.46,
    /// Γ = 1, d = 3, ΔT = −0.5, B) the default path's I is 2.4e-9 off, the
    /// closed form's 1.4e-12 (against quadrature 1e-13, Newton step 1e-10).
    func testOtherDevicesAgreeWithQuadrature() throws {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func uniform(_ range: ClosedRange<Double>) -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return range.lowerBound + (range.upperBound - range.lowerBound) * Double(state >> 11) / 0x1p53
        }
        for index in 0..<12 {
            let parameters = DeviceParameters(
                eps1: uniform(30...55), eps3: uniform(30...55),
                gamma1: [0.5, 1, 3][index % 3], gamma3: [3, 1, 0.7][index % 3], lambda: 1,
                d: [0.5, 1, 3][(index / 3) % 3])
            let deltaT = [0.3, 1, 2, -0.5][index % 4]
            let fast = try DiodeSolver(parameters: parameters)
            let slow = try DiodeSolver(parameters: parameters,
                                       settings: SolverSettings(relativeTolerance: 1e-11, newton: NewtonSettings(stepTolerance: 1e-7),
                                                                closedForms: false))
            for configuration in Configuration.allCases {
                assertAgree(fast.solve(deltaT: deltaT, configuration: configuration),
                            slow.solve(deltaT: deltaT, configuration: configuration),
                            "\(parameters) ΔT = \(deltaT) \(configuration)")
            }
        }
    }

    /// The switch chooses the path: the default is bit for bit the closed
    /// form's result; `closedForms = false` runs the quadrature (hundreds of
    /// integrand evaluations, not a handful of closed-form evaluations).
    func testSettingChoosesThePath() throws {
        let parameters = DeviceParameters(eps1: 50.5, eps3: 38.5, gamma1: 3, gamma3: 3, lambda: 1)
        let fast = try DiodeSolver(parameters: parameters)
        let closed = fast.solveClosedForm(deltaT: 1, configuration: .forward)
        let dispatched = fast.solve(deltaT: 1, configuration: .forward)
        XCTAssertEqual(dispatched.particleCurrent.bitPattern, closed.particleCurrent.bitPattern)
        XCTAssertEqual(dispatched.heatCurrent.bitPattern, closed.heatCurrent.bitPattern)
        XCTAssertEqual(dispatched.integrandEvaluations, closed.integrandEvaluations)
        let quadrature = try DiodeSolver(parameters: parameters, settings: general).solve(deltaT: 1, configuration: .forward)
        XCTAssertGreaterThan(quadrature.integrandEvaluations, 10 * closed.integrandEvaluations)
        // λ < 1 or screening: the switch changes nothing.
        for p in [DeviceParameters(eps1: 45, eps3: 44, gamma1: 3, gamma3: 3, lambda: 0.5)] {
            let a = try DiodeSolver(parameters: p).solve(deltaT: 1, configuration: .backward)
            let b = try DiodeSolver(parameters: p, settings: general).solve(deltaT: 1, configuration: .backward)
            XCTAssertEqual(a.particleCurrent.bitPattern, b.particleCurrent.bitPattern)
        }
    }
}
