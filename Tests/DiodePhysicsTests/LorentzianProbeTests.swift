import ComplexModule
import RealModule
import XCTest
@testable import DiodePhysics

/// The λ = 1 closed-form device (``LorentzianProbeDevice``) and its probe
/// solver against docs/physics.md §0: its S-matrix, brute-force quadrature of the
/// current integrals, conservation laws and the λ = 1 identities.
final class LorentzianProbeTests: XCTestCase {
    let quadrature = BruteForceQuadrature()

    /// g(E) = |e^(iφ)|: 1 above the band bottom, e^(−d√(−E)) below.
    func damping(_ e: Double, d: Double) -> Double { e >= 0 ? 1 : Double.exp(-d * (-e).squareRoot()) }

    func device(_ eps1: Double, _ gamma1: Double, _ eps3: Double, _ gamma3: Double, mu: Double = 40, d: Double = 1,
                tL: Double, tR: Double, bandBottom: LorentzianBandBottom = .automatic) -> LorentzianProbeDevice {
        LorentzianProbeDevice(eps1: eps1, gamma1: gamma1, eps3: eps3, gamma3: gamma3, mu: mu, d: d,
                              leftTemperature: tL, rightTemperature: tR, bandBottom: bandBottom)
    }

    /// At λ = 1 the composed S-matrix of docs/physics.md §0 gives T_pL = |t₁|² g, T_pR = |t₃|² g,
    /// T_RL = 0, also below the band bottom (checked against the general
    /// scattering-matrix code of the module).
    func testTransmissionsMatchScatteringMatrix() {
        let model = ScatteringModel(eps1: 3, gamma1: 1.5, eps3: -4, gamma3: 0.7, d: 1.3, lambda: 1)
        let r1 = LorentzianResonance(energy: 3, width: 1.5), r3 = LorentzianResonance(energy: -4, width: 0.7)
        for e in [-60.0, -20, -4.1, -1, -1e-6, 0, 1e-6, 0.5, 3, 10, 45] {
            let t = model.transmissions(energy: e)
            let g = damping(e, d: 1.3)
            XCTAssertEqual(t.leftProbe, r1.transmission(at: e) * g, accuracy: 1e-14 * t.leftProbe, "E = \(e)")
            XCTAssertEqual(t.rightProbe, r3.transmission(at: e) * g, accuracy: 1e-14 * t.rightProbe, "E = \(e)")
            XCTAssertEqual(t.leftRight, 0)
        }
    }

    /// Brute force of the integrals of docs/physics.md §0 over its window
    /// [min(μ, μ_p) − 40T_w, max(μ, μ_p) + 40T_w], the part below E = 0 on
    /// panels graded towards the √(−E) branch point.
    func bruteForce(_ device: LorentzianProbeDevice, muP: Double, tP: Double)
        -> (iL: Double, jL: Double, iR: Double, jR: Double, iP: Double, jP: Double) {
        let mu = device.mu
        let tW = max(device.leftTemperature, device.rightTemperature, tP)
        let low = min(mu, muP) - 40 * tW, high = max(mu, muP) + 40 * tW
        let width = 0.2 * min(tW, 1, device.barrier1.width, device.barrier3.width)
        func integral(_ integrand: @escaping (Double) -> Double) -> Double {
            let below = low < 0 ? quadrature.integrateToBranchPoint(integrand, from: low, width: width) : 0
            return below + quadrature.integrate(integrand, from: max(low, 0), to: high, width: width)
        }
        func side(_ r: LorentzianResonance, _ tLead: Double) -> (Double, Double, Double) {
            let spectral = { (e: Double) in
                2 * r.transmission(at: e) * self.damping(e, d: device.d) * fermiDifference(e, mu, tLead, muP, tP)
            }
            return (integral(spectral), integral { e in (e - mu) * spectral(e) }, integral { e in (e - muP) * spectral(e) })
        }
        let (iL, jL, jLp) = side(device.barrier1, device.leftTemperature)
        let (iR, jR, jRp) = side(device.barrier3, device.rightTemperature)
        return (iL, jL, iR, jR, -(iL + iR), -(jLp + jRp))
    }

    struct Case { var device: LorentzianProbeDevice; var muP: Double; var tP: Double }

    var cases: [Case] {
        [
            // Fig. 2, ΔT = 2: the band bottom contributes ~1e-7 relative.
            Case(device: device(43, 3, 44.8, 3, tL: 3, tR: 1), muP: 40.2, tP: 1.8),
            Case(device: device(28, 3, 52, 3, tL: 1, tR: 3, bandBottom: .always), muP: 39.7, tP: 2.1),
            // Shallow band: a percent-level correction.
            Case(device: device(12, 2, 8, 1, mu: 10, tL: 3, tR: 1), muP: 10.3, tP: 2.0),
            // A sharp resonance below the band bottom, long region 2.
            Case(device: device(-2, 0.2, 11, 1, mu: 10, d: 2, tL: 1, tR: 3), muP: 9.8, tP: 2.2),
        ]
    }

    func testCurrentsAgainstQuadrature() {
        for c in cases {
            let closed = c.device.evaluate(muP: c.muP, tP: c.tP)
            let brute = bruteForce(c.device, muP: c.muP, tP: c.tP)
            let sI = closed.residualScale.x, sJ = closed.residualScale.y
            let label = "\(c.device.barrier1) \(c.device.barrier3) μ = \(c.device.mu)"
            XCTAssertEqual(closed.leftParticleCurrent, brute.iL, accuracy: 1e-12 * sI, label)
            XCTAssertEqual(closed.rightParticleCurrent, brute.iR, accuracy: 1e-12 * sI, label)
            XCTAssertEqual(closed.probeParticleCurrent, brute.iP, accuracy: 1e-12 * sI, label)
            XCTAssertEqual(closed.leftHeatCurrent, brute.jL, accuracy: 1e-12 * sJ, label)
            XCTAssertEqual(closed.rightHeatCurrent, brute.jR, accuracy: 1e-12 * sJ, label)
            XCTAssertEqual(closed.probeHeatCurrent, brute.jP, accuracy: 1e-12 * sJ, label)
            XCTAssertTrue(closed.bandBottomIntegrated, label)
        }
    }

    /// The band bottom matters: the infinitely deep band differs from the §0
    /// device by more than the 1e-9 promise (Fig. 2 at ΔT = 2; μ = 10).
    func testBandBottomIsResolvedNotDropped() {
        for (index, threshold) in [(0, 1e-9), (2, 1e-4)] {
            let c = cases[index]
            let model = c.device.evaluate(muP: c.muP, tP: c.tP)
            let deep = LorentzianProbeDevice(
                eps1: c.device.barrier1.energy, gamma1: c.device.barrier1.width,
                eps3: c.device.barrier3.energy, gamma3: c.device.barrier3.width, mu: c.device.mu, d: c.device.d,
                leftTemperature: c.device.leftTemperature, rightTemperature: c.device.rightTemperature,
                bandBottom: .infinitelyDeep).evaluate(muP: c.muP, tP: c.tP)
            XCTAssertGreaterThan(abs(model.leftParticleCurrent - deep.leftParticleCurrent), threshold * abs(model.leftParticleCurrent))
        }
    }

    /// `.automatic` skips the correction only where it is below 1e-15 of the
    /// currents: over the Fig. 2 map it agrees with `.always` to rounding.
    func testAutomaticBandBottomOverFigure2Map() {
        var skipped = 0
        for deltaT in [0.1, 1, 2] {
            for x1 in stride(from: -15.0, through: 15, by: 7.5) {
                for x3 in stride(from: -15.0, through: 15, by: 7.5) {
                    for (tL, tR) in [(1 + deltaT, 1.0), (1.0, 1 + deltaT)] {
                        let always = device(40 + x1, 3, 40 + x3, 3, tL: tL, tR: tR, bandBottom: .always)
                        let solution = LorentzianProbeSolver(device: always).solve()
                        XCTAssertEqual(solution.status, .converged)
                        let automatic = device(40 + x1, 3, 40 + x3, 3, tL: tL, tR: tR)
                            .evaluate(muP: solution.muP, tP: solution.tP)
                        let reference = solution.evaluation
                        if !automatic.bandBottomIntegrated { skipped += 1 }
                        XCTAssertEqual(automatic.leftParticleCurrent, reference.leftParticleCurrent,
                                       accuracy: 2e-15 * reference.residualScale.x)
                        XCTAssertEqual(automatic.leftHeatCurrent, reference.leftHeatCurrent,
                                       accuracy: 2e-15 * reference.residualScale.y)
                    }
                }
            }
        }
        XCTAssertGreaterThan(skipped, 0, "ΔT = 0.1 should need no band-bottom quadrature")
    }

    /// Σ I_k = 0 and Σ (J_k + μ_k I_k) = 0 at any probe state.
    func testConservationLaws() {
        for c in cases {
            for (muP, tP) in [(c.muP, c.tP), (c.device.mu - 1.3, 0.7), (c.device.mu + 2, 4.0)] {
                let e = c.device.evaluate(muP: muP, tP: tP)
                let sI = e.residualScale.x, sJ = e.residualScale.y + abs(c.device.mu) * sI
                XCTAssertEqual(e.leftParticleCurrent + e.rightParticleCurrent + e.probeParticleCurrent, 0, accuracy: 1e-15 * sI)
                let energy = e.leftHeatCurrent + c.device.mu * e.leftParticleCurrent
                    + e.rightHeatCurrent + c.device.mu * e.rightParticleCurrent
                    + e.probeHeatCurrent + muP * e.probeParticleCurrent
                XCTAssertEqual(energy, 0, accuracy: 1e-14 * sJ)
            }
        }
    }

    /// The analytic Jacobian against central differences of the residuals.
    func testJacobianAgainstFiniteDifferences() {
        for c in cases {
            let e = c.device.evaluate(muP: c.muP, tP: c.tP)
            let h = 1e-5
            let muPlus = c.device.evaluate(muP: c.muP + h, tP: c.tP), muMinus = c.device.evaluate(muP: c.muP - h, tP: c.tP)
            let tPlus = c.device.evaluate(muP: c.muP, tP: c.tP + h), tMinus = c.device.evaluate(muP: c.muP, tP: c.tP - h)
            let dIdMu = (muPlus.probeParticleCurrent - muMinus.probeParticleCurrent) / (2 * h)
            let dIdT = (tPlus.probeParticleCurrent - tMinus.probeParticleCurrent) / (2 * h)
            let dJdMu = (muPlus.probeHeatCurrent - muMinus.probeHeatCurrent) / (2 * h)
            let dJdT = (tPlus.probeHeatCurrent - tMinus.probeHeatCurrent) / (2 * h)
            let sI = abs(e.probeParticleGradient.x) + abs(e.probeParticleGradient.y)
            let sJ = abs(e.probeHeatGradient.x) + abs(e.probeHeatGradient.y)
            XCTAssertEqual(e.probeParticleGradient.x, dIdMu, accuracy: 1e-8 * sI)
            XCTAssertEqual(e.probeParticleGradient.y, dIdT, accuracy: 1e-8 * sI)
            XCTAssertEqual(e.probeHeatGradient.x, dJdMu, accuracy: 1e-8 * sJ)
            XCTAssertEqual(e.probeHeatGradient.y, dJdT, accuracy: 1e-8 * sJ)
        }
    }

    // MARK: The probe solver

    func testProbeConditionsHoldAtSolution() {
        for c in cases {
            let solution = LorentzianProbeSolver(device: c.device).solve()
            XCTAssertEqual(solution.status, .converged)
            XCTAssertLessThanOrEqual(solution.residual, 1e-13)
            XCTAssertLessThanOrEqual(solution.iterations, 10)
            let e = c.device.evaluate(muP: solution.muP, tP: solution.tP)
            XCTAssertLessThanOrEqual(abs(e.probeParticleCurrent), 1e-13 * e.residualScale.x)
            XCTAssertLessThanOrEqual(abs(e.probeHeatCurrent), 1e-13 * e.residualScale.y)
            XCTAssertEqual(solution.particleCurrent, e.leftParticleCurrent)
            XCTAssertEqual(solution.heatCurrent, e.leftHeatCurrent)
            // The probe sits between the leads' temperatures.
            XCTAssertGreaterThan(solution.tP, min(c.device.leftTemperature, c.device.rightTemperature))
            XCTAssertLessThan(solution.tP, max(c.device.leftTemperature, c.device.rightTemperature))
        }
    }

    /// Forward (T_L = 1 + ΔT, T_R = 1) and backward (swapped) solutions.
    func solvePair(_ eps1: Double, _ gamma1: Double, _ eps3: Double, _ gamma3: Double, mu: Double,
                   deltaT: Double, bandBottom: LorentzianBandBottom)
        -> (forward: LorentzianProbeSolution, backward: LorentzianProbeSolution) {
        let forward = LorentzianProbeSolver(device: device(eps1, gamma1, eps3, gamma3, mu: mu, tL: 1 + deltaT, tR: 1,
                                                           bandBottom: bandBottom)).solve()
        let backward = LorentzianProbeSolver(device: device(eps1, gamma1, eps3, gamma3, mu: mu, tL: 1, tR: 1 + deltaT,
                                                            bandBottom: bandBottom)).solve()
        XCTAssertEqual(forward.status, .converged)
        XCTAssertEqual(backward.status, .converged)
        return (forward, backward)
    }

    /// docs/physics.md §0: λ = 1, ε₁ − μ = μ − ε₃, Γ₁ = Γ₃ ⇒ I^F = I^B, T_p^F = T_p^B,
    /// μ_p^F + μ_p^B = 2μ, R_J = 0: to the closed forms' rounding floor for an
    /// infinitely deep band and at μ = 80 (where one ulp of μ_p ≈ 80 moves a
    /// small I by ~1e-12 of itself); within the band-bottom effect,
    /// ~e^(−μ/T_max) (a few 1e-9 relative), at μ = 40, ΔT ≤ 1.
    func testAntisymmetricDeviceIdentities() {
        for (mu, bandBottom, tolerance, maximumDeltaT) in [(40.0, LorentzianBandBottom.infinitelyDeep, 1e-12, 2.0),
                                                           (80.0, .automatic, 5e-12, 2.0), (40.0, .automatic, 1e-8, 1.0)] {
            for (x, deltaT) in [(4.8, 1.0), (-8.7, 1.0), (2.0, 2.0), (11.0, 0.5)] where deltaT <= maximumDeltaT {
                let (f, b) = solvePair(mu + x, 3, mu - x, 3, mu: mu, deltaT: deltaT, bandBottom: bandBottom)
                let label = "μ = \(mu), ε₁ − μ = \(x), ΔT = \(deltaT), \(bandBottom)"
                XCTAssertEqual(f.particleCurrent, b.particleCurrent, accuracy: tolerance * abs(f.particleCurrent), label)
                XCTAssertEqual(f.tP, b.tP, accuracy: tolerance * f.tP, label)
                XCTAssertEqual(f.muP + b.muP, 2 * mu, accuracy: tolerance * abs(f.muP - mu) + 1e-14 * mu, label)
                XCTAssertEqual(f.heatCurrent + b.heatCurrent, 0, accuracy: tolerance * (abs(f.heatCurrent) + abs(b.heatCurrent)), label)
            }
        }
    }

    /// docs/physics.md §0: R_J = 0 when ε₁ = ε₃ (with Γ₁ = Γ₃: the inversion-symmetric
    /// device, where also R_I = 0), at the band-bottom level of μ = 40. With
    /// Γ₁ ≠ Γ₃ the device is not symmetric and the heat current rectifies.
    func testEqualResonanceEnergiesGiveNoRectification() {
        for x in [-6.0, 0.0, 4.8] {
            let (f, b) = solvePair(40 + x, 3, 40 + x, 3, mu: 40, deltaT: 1, bandBottom: .automatic)
            XCTAssertEqual(f.heatCurrent + b.heatCurrent, 0, accuracy: 1e-13 * (abs(f.heatCurrent) + abs(b.heatCurrent)))
            // I vanishes by particle–hole symmetry at ε = μ: measure on the heat scale.
            let scale = abs(f.particleCurrent) + abs(b.particleCurrent) + abs(f.heatCurrent) + abs(b.heatCurrent)
            XCTAssertEqual(f.particleCurrent + b.particleCurrent, 0, accuracy: 1e-13 * scale)
            XCTAssertEqual(f.tP, b.tP, accuracy: 1e-13)
        }
        let (f, b) = solvePair(44.8, 3, 44.8, 1.5, mu: 40, deltaT: 1, bandBottom: .automatic)
        XCTAssertGreaterThan(abs(f.heatCurrent + b.heatCurrent), 1e-3 * (abs(f.heatCurrent) + abs(b.heatCurrent)))
    }

    /// Eq. 3 of the paper: region 3 transparent (Γ₃ → ∞) ⇒ I = 2(μ_p − μ),
    /// J = (π²/3)(T_p² − T_R²) + (μ_p − μ)². Γ₃ = 10⁶ leaves O((T/Γ₃)²) ~ 1e-11.
    func testTransparentRegion3Limit() {
        for (x1, deltaT, forward) in [(3.0, 1.0, true), (3.0, 1.0, false), (-5.0, 0.5, true), (8.7, 2.0, false)] {
            let mu = 80.0
            let tL = forward ? 1 + deltaT : 1, tR = forward ? 1 : 1 + deltaT
            let solution = LorentzianProbeSolver(device: device(mu + x1, 3, mu, 1e6, mu: mu, tL: tL, tR: tR)).solve()
            XCTAssertEqual(solution.status, .converged)
            let bias = solution.muP - mu
            XCTAssertEqual(solution.particleCurrent, 2 * bias, accuracy: 1e-9 * abs(solution.particleCurrent))
            let heat = Double.pi * Double.pi / 3 * (solution.tP * solution.tP - tR * tR) + bias * bias
            XCTAssertEqual(solution.heatCurrent, heat, accuracy: 1e-9 * abs(heat))
        }
    }

    /// Heat flows from hot to cold, J^F > 0 > J^B (with one lead at T = 1 this
    /// is the second law J_L (1/T_R − 1/T_L) ≥ 0), across the Fig. 2 map.
    func testHeatFlowsFromHotToCold() {
        for x1 in stride(from: -15.0, through: 15, by: 5) {
            for x3 in stride(from: -15.0, through: 15, by: 5) {
                let (f, b) = solvePair(40 + x1, 3, 40 + x3, 3, mu: 40, deltaT: 1, bandBottom: .automatic)
                XCTAssertGreaterThan(f.heatCurrent, 0)
                XCTAssertLessThan(b.heatCurrent, 0)
            }
        }
    }

    /// A warm start from a neighbouring point converges to the same solution,
    /// in fewer steps.
    func testWarmStart() {
        let d1 = device(43, 3, 44.8, 3, tL: 2, tR: 1), d2 = device(43.1, 3, 44.8, 3, tL: 2, tR: 1)
        let first = LorentzianProbeSolver(device: d1).solve()
        let cold = LorentzianProbeSolver(device: d2).solve()
        let warm = LorentzianProbeSolver(device: d2).solve(muP: first.muP, tP: first.tP)
        XCTAssertEqual(warm.status, .converged)
        XCTAssertLessThan(warm.iterations, cold.iterations)
        XCTAssertEqual(warm.muP, cold.muP, accuracy: 1e-12)
        XCTAssertEqual(warm.tP, cold.tP, accuracy: 1e-12)
        XCTAssertEqual(warm.particleCurrent, cold.particleCurrent, accuracy: 1e-13 * abs(cold.particleCurrent))
    }

    /// Linear response: R_I(ΔT)/ΔT converges as ΔT → 0 (successive
    /// differences shrink by about the ΔT ratio).
    func testLinearResponseOfRectification() {
        func rectification(_ deltaT: Double) -> Double {
            let (f, b) = solvePair(44.8, 3, 37, 3, mu: 40, deltaT: deltaT, bandBottom: .automatic)
            return (f.particleCurrent + b.particleCurrent) / (abs(f.particleCurrent) + abs(b.particleCurrent))
        }
        let ratios = [0.04, 0.02, 0.01, 0.005].map { rectification($0) / $0 }
        XCTAssertNotEqual(ratios[0], 0)
        for i in 1..<3 {
            let previous = abs(ratios[i] - ratios[i - 1]), next = abs(ratios[i + 1] - ratios[i])
            XCTAssertEqual(next / previous, 0.5, accuracy: 0.1)
        }
    }

    /// A solve that runs out of iterations says so, with NaN currents.
    func testNonConvergenceIsReported() {
        let solution = LorentzianProbeSolver(device: device(43, 3, 44.8, 3, tL: 2, tR: 1), maximumIterations: 1).solve()
        XCTAssertEqual(solution.status, .notConverged)
        XCTAssertTrue(solution.particleCurrent.isNaN)
        XCTAssertTrue(solution.heatCurrent.isNaN)
    }

    /// Invalid device parameters end as `.nonFinite`, never as numbers (and never hang).
    func testInvalidParametersAreNonFinite() {
        for (gamma, t) in [(-1.0, 2.0), (0.0, 2.0), (3.0, -1e-300), (3.0, .nan)] {
            let solution = LorentzianProbeSolver(device: device(43, gamma, 44.8, 3, tL: t, tR: 1)).solve()
            XCTAssertEqual(solution.status, .nonFinite, "Γ = \(gamma), T_L = \(t)")
            XCTAssertTrue(solution.particleCurrent.isNaN)
        }
        XCTAssertTrue(ComplexPolygamma.digamma(Complex(-1e300, 0.5)).real.isNaN)
    }
}
