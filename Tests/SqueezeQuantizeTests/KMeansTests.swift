import PropertyBased
import SqueezeQuantize
import Testing

struct KMeansTests {
    @Test func clusteringIsAFixedPointOfLloyd() async {
        await propertyCheck(count: 100, input: Gen.float(in: -1...1).array(of: 1...400), Gen.int(in: 1...6)) { values, bits in
            for initialization in CentroidInitialization.allCases {
                let k = 1 << bits
                let c = KMeans.cluster(values, k: k, initialization: initialization, seed: 5)
                #expect(c.centroids.count <= k)
                #expect(c.centroids == c.centroids.sorted())
                #expect(c.assignments.count == values.count)
                // Every value sits at its nearest centroid.
                for (v, a) in zip(values, c.assignments) {
                    let mine = abs(v - c.centroids[Int(a)])
                    #expect(c.centroids.allSatisfy { abs(v - $0) >= mine - 1e-6 })
                }
                // Every used centroid is the mean of its members (Lloyd converged).
                for (i, centroid) in c.centroids.enumerated() {
                    let members = zip(values, c.assignments).filter { Int($0.1) == i }.map { Double($0.0) }
                    guard !members.isEmpty else { continue }
                    let mean = members.reduce(0, +) / Double(members.count)
                    #expect(abs(Double(centroid) - mean) <= 1e-5)
                }
            }
        }
    }

    @Test func fewDistinctValuesAreKeptExactly() {
        let c = KMeans.cluster([0.5, -0.25, 0.5, 1, -0.25], k: 16, initialization: .linear)
        #expect(c.centroids == [-0.25, 0.5, 1])
        #expect(c.assignments == [1, 0, 1, 2, 0])
    }

    @Test func linearInitialisationKeepsTheExtremes() {
        // A long tail: linear initialisation keeps a centroid near the largest
        // weight, density initialisation spends its centroids on the bulk.
        var values = (0..<1000).map { Float($0 % 100) / 1000 }
        values.append(1)
        let linear = KMeans.cluster(values, k: 4, initialization: .linear)
        let density = KMeans.cluster(values, k: 4, initialization: .density)
        #expect(linear.centroids.last == 1)
        #expect(density.centroids.last! < 1)
    }

    /// Found by fuzzing the `.net` reader: weights near the largest float
    /// overflowed the linear spacing and the cluster midpoints to infinity.
    @Test(arguments: CentroidInitialization.allCases)
    func weightsNearTheLargestFloatGiveFiniteCentroids(initialization: CentroidInitialization) {
        let values: [Float] = [-.greatestFiniteMagnitude, -1e38, -1, 0, 2, 3e38, .greatestFiniteMagnitude]
        let c = KMeans.cluster(values, k: 4, initialization: initialization)
        #expect(c.centroids.allSatisfy { $0.isFinite }, "\(c.centroids)")
        #expect(c.centroids == c.centroids.sorted())
    }
}
