# Assessment step 0: the distribution of every indicator in every year, computed once.
# For every indicator node (level 0) of the framework and every year: the statistics of the
# values across the compared cities (one value per city: several observations of one (city,
# indicator, year), from several submissions, are averaged), written to the run's staging
# graph, where the outlier check (assess-00-outliers) and the normalisation, published by
# assess-01-normalisation, read them instead of scanning the observations again; and, for level 0 and the years with data,
# the marker that the node has records in the year (read by assess-02 for its coverage).
# The staging graph is working space of one run: the runner drops it at the end.
# Parameters: (bound in every WHERE block)
#   ?stage      IRI of the run's staging graph (written)
#   ?framework  IRI of the assessment framework
#   ?year       integer, optional: only this year
# Writes: in the staging graph, one node per (indicator, year) with stage:indicator, stage:year,
#   stage:n (cities), stage:observations, stage:min, stage:max, stage:sum, stage:squares,
#   stage:cubes, stage:fourths (power sums of the values), stage:mean, stage:scale
#   (100 / (max - min), 1 when max = min), stage:radicand (the variance of the min-max
#   rescaled values) with stage:root (a first estimate of its square root, the standard
#   deviation) and stage:rootSteps 0, for the Newton steps of assess-00-square-root (SPARQL
#   has no SQRT); stage:recordsIn on the framework's indicator nodes.
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
          stage:radicand ?variance ;
          stage:root ?r0 ;
          stage:rootSteps 0 .
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
  # z-score on the min-max rescaled values (variance at most 2500)
  BIND (100 / xsd:double(IF(?max = ?min, 1, ?max - ?min)) AS ?scale)
  BIND (xsd:double((?squares - ?sum * ?sum / xsd:double(?n)) / xsd:double(?n)) * ?scale * ?scale AS ?variance)
  BIND ((?variance + 1) / 2.0e0 AS ?r0)  # first estimate of the square root
  BIND (?sum / xsd:double(?n) AS ?mean)
  BIND (IRI(CONCAT(STR(?stage), "/statistics/", MD5(CONCAT(STR(?indicator), " ",
                                                           STR(?year))))) AS ?stat)
} ;

INSERT { GRAPH ?stage { ?node stage:recordsIn ?year . } }
WHERE {
  GRAPH ?fg { ?node csp:inFramework ?framework ; csp:level 0 ; csp:standsFor ?indicator . }
  GRAPH ?stage { ?stat stage:indicator ?indicator ; stage:year ?year . }
}
