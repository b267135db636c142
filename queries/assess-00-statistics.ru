# Assessment step 0: the distribution of every indicator in every year, computed once.
# For every indicator node (level 0) of the framework and every year: the statistics of the
# values across the compared cities (one value per city: several observations of one (city,
# indicator, year), from several submissions, are averaged), written to the run's staging
# graph, where the normalisation (assess-01) and the outlier check (assess-00-outliers) read
# them instead of scanning the observations again; and, for level 0 and the years with data,
# the marker that the node has records in the year (read by assess-02 for its coverage).
# The staging graph is working space of one run: the runner drops it at the end.
# Parameters: (bound in every WHERE block)
#   ?stage      IRI of the run's staging graph (written)
#   ?framework  IRI of the assessment framework
#   ?year       integer, optional: only this year
# Writes: in the staging graph, one node per (indicator, year) with stage:indicator, stage:year,
#   stage:n (cities), stage:observations, stage:min, stage:max, stage:sum, stage:squares,
#   stage:cubes, stage:fourths (power sums of the values), stage:mean, stage:scale
#   (100 / (max - min), 1 when max = min) and stage:sd (standard deviation of the min-max
#   rescaled values, by Newton iterations: SPARQL has no SQRT); stage:recordsIn on the
#   framework's indicator nodes.
PREFIX csp:   <https://w3id.org/cityculture/ontology/>
PREFIX xsd:   <http://www.w3.org/2001/XMLSchema#>
PREFIX stage: <https://w3id.org/cityculture/stage/>

INSERT {
  GRAPH ?stage {
    ?stat stage:indicator ?indicator ;
          stage:year ?year ;
          stage:n ?n ;
          stage:observations ?observations ;
          stage:min ?min ;
          stage:max ?max ;
          stage:sum ?sum ;
          stage:squares ?squares ;
          stage:cubes ?cubes ;
          stage:fourths ?fourths ;
          stage:mean ?mean ;
          stage:scale ?scale ;
          stage:sd ?r12 .
  }
}
WHERE {
  {
    SELECT ?indicator ?year (MIN(?v) AS ?min) (MAX(?v) AS ?max) (COUNT(?v) AS ?n)
           (SUM(?v) AS ?sum) (SUM(?v * ?v) AS ?squares) (SUM(?v * ?v * ?v) AS ?cubes)
           (SUM(?v * ?v * ?v * ?v) AS ?fourths) (SUM(?k) AS ?observations)
    WHERE {
      {
        SELECT ?indicator ?year ?c (AVG(xsd:double(?raw)) AS ?v) (COUNT(?o) AS ?k) WHERE {
          {
            SELECT DISTINCT ?indicator WHERE {
              GRAPH ?fg { ?node csp:inFramework ?framework ; csp:level 0 ;
                                csp:standsFor ?indicator . }
            }
          }
          GRAPH ?g { ?o csp:indicator ?indicator ; csp:refYear ?year ; csp:value ?raw ;
                        csp:city ?c . }
          FILTER (isNumeric(?raw))
        }
        GROUP BY ?indicator ?year ?c
      }
    }
    GROUP BY ?indicator ?year
  }
  # z-score on the min-max rescaled values (variance at most 2500): Newton square root
  BIND (100 / xsd:double(IF(?max = ?min, 1, ?max - ?min)) AS ?scale)
  BIND (xsd:double((?squares - ?sum * ?sum / xsd:double(?n)) / xsd:double(?n)) * ?scale * ?scale AS ?variance)
  BIND ((?variance + 1) / 2.0e0 AS ?r0)
  BIND (IF(?r0 > 0, (?r0 + ?variance / ?r0) / 2.0e0, 0) AS ?r1)
  BIND (IF(?r1 > 0, (?r1 + ?variance / ?r1) / 2.0e0, 0) AS ?r2)
  BIND (IF(?r2 > 0, (?r2 + ?variance / ?r2) / 2.0e0, 0) AS ?r3)
  BIND (IF(?r3 > 0, (?r3 + ?variance / ?r3) / 2.0e0, 0) AS ?r4)
  BIND (IF(?r4 > 0, (?r4 + ?variance / ?r4) / 2.0e0, 0) AS ?r5)
  BIND (IF(?r5 > 0, (?r5 + ?variance / ?r5) / 2.0e0, 0) AS ?r6)
  BIND (IF(?r6 > 0, (?r6 + ?variance / ?r6) / 2.0e0, 0) AS ?r7)
  BIND (IF(?r7 > 0, (?r7 + ?variance / ?r7) / 2.0e0, 0) AS ?r8)
  BIND (IF(?r8 > 0, (?r8 + ?variance / ?r8) / 2.0e0, 0) AS ?r9)
  BIND (IF(?r9 > 0, (?r9 + ?variance / ?r9) / 2.0e0, 0) AS ?r10)
  BIND (IF(?r10 > 0, (?r10 + ?variance / ?r10) / 2.0e0, 0) AS ?r11)
  BIND (IF(?r11 > 0, (?r11 + ?variance / ?r11) / 2.0e0, 0) AS ?r12)
  BIND (?sum / xsd:double(?n) AS ?mean)
  BIND (IRI(CONCAT(STR(?stage), "/statistics/", MD5(CONCAT(STR(?indicator), " ",
                                                           STR(?year))))) AS ?stat)
} ;

INSERT { GRAPH ?stage { ?node stage:recordsIn ?year . } }
WHERE {
  GRAPH ?fg { ?node csp:inFramework ?framework ; csp:level 0 ; csp:standsFor ?indicator . }
  GRAPH ?stage { ?stat stage:indicator ?indicator ; stage:year ?year . }
}
