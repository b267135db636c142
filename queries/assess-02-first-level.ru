# Assessment step 2, first level: the scores of the nodes just above the indicators.
# For every node at level 1 of the framework (an element, a dimension or a group) and every city
# and year: the node's score from its indicators' scores, by the node's csp:aggregation
# (csp:weightedMean: sum of weight x score over the indicators with a score divided by the sum
# of their weights; csp:sum: sum of weight x score). An indicator's score is its normalised
# value, computed here from the observations and the run's csp:IndicatorDistribution and
# csp:WinsorisedValue records (assess-01-normalisation), by the framework's csp:normalisation:
#   csp:minMax           100 * (x - min) / (max - min), inverted where lower is better; 50 when
#                        max = min
#   csp:zScore           (x - mean) / standard deviation, sign inverted where lower is better;
#                        0 when all values are equal
#   csp:noNormalisation  the value as it is (inputs that are already scores)
# where x is the mean of the city's numeric observations of the indicator in the year (in any
# graph), or its winsorised value. queries/indicator-scores.rq lists the same indicator scores.
# Coverage = indicators with a score for the city / indicators with data for any city in the
# year (stage:recordsIn, assess-00-statistics). Below the framework's csp:minimumCoverage the
# node is not scored: a csp:NotScored record with the reason is written instead
# (assess-02-not-scored adds those with no indicator score at all).
# The run records the graphs it read the observations from (prov:used). It does not link each
# score to each observation: a national corpus has hundreds of thousands of observations, and
# which ones a score came from follows from the score (its node's indicators, its city and
# year) and those graphs, as queries/cq10-provenance.rq finds them. Scores and not-scored
# records share one IRI scheme (run/result/ + MD5 of node, city and year).
# Parameters: (bound in every WHERE block)
#   ?run        IRI of the assessment run (read and written)
#   ?stage      IRI of the run's staging graph (read and written)
#   ?framework  IRI of the assessment framework
#   ?level      integer: 1
#   ?year       integer, optional: only this year
# Writes: csp:ElementScore (nodes standing for an element or dimension), csp:CompositeIndex (a
#   top node) or csp:Assessment (groups) with csp:city, csp:refYear, csp:frameworkNode,
#   csp:scoreValue, csp:coverage and prov:wasGeneratedBy; csp:NotScored with csp:coverage and
#   csp:reason; prov:used on the run for every graph the observations were read from; in the
#   staging graph, stage:city and stage:year per city-year with scores (read by
#   assess-02-not-scored).
PREFIX csp:   <https://w3id.org/cityculture/ontology/>
PREFIX prov:  <http://www.w3.org/ns/prov#>
PREFIX xsd:   <http://www.w3.org/2001/XMLSchema#>
PREFIX stage: <https://w3id.org/cityculture/stage/>

INSERT {
  GRAPH ?run {
    ?result a ?resultClass ;
            csp:city ?city ;
            csp:refYear ?year ;
            csp:frameworkNode ?node ;
            ?valueProperty ?valueOrReason ;
            csp:coverage ?coverage ;
            prov:wasGeneratedBy ?run .
  }
}
WHERE {
  {
    SELECT ?node ?city ?year (SUM(?w * ?s) AS ?weighted) (SUM(?w) AS ?weights)
           (COUNT(?child) AS ?have)
    WHERE {
      GRAPH ?fg0 { ?framework csp:normalisation ?method . }
      GRAPH ?fg1 { ?node csp:inFramework ?framework ; csp:level ?level .
                   ?child csp:parentNode ?node ; csp:weight ?w ; csp:standsFor ?indicator . }
      GRAPH ?indicatorGraph { ?indicator csp:direction ?direction . }
      {
        # one value per (indicator, year, city): the mean of its numeric observations
        SELECT ?indicator ?year ?city (AVG(xsd:double(?raw)) AS ?average) WHERE {
          GRAPH ?g { ?o csp:indicator ?indicator ; csp:refYear ?year ; csp:value ?raw ;
                        csp:city ?city . }
          FILTER (isNumeric(?raw))
        }
        GROUP BY ?indicator ?year ?city
      }
      GRAPH ?run {
        ?distribution csp:frameworkNode ?child ; csp:refYear ?year ; csp:smallestValue ?min ;
                      csp:largestValue ?max ; csp:meanValue ?mean ; csp:standardDeviation ?sd .
      }
      OPTIONAL {
        GRAPH ?run {
          ?winsorised csp:frameworkNode ?child ; csp:city ?city ; csp:refYear ?year ;
                      csp:treatedValue ?treated .
        }
      }
      BIND (COALESCE(?treated, ?average) AS ?value)
      # comparisons inside IF, never bound to a variable (Virtuoso drops rows where a bound
      # comparison is false)
      BIND (IF(?max = ?min, 50.0,
               IF(?direction = csp:higherIsBetter, 100 * (?value - ?min) / xsd:double(?max - ?min),
                  100 * (?max - ?value) / xsd:double(?max - ?min))) AS ?minMaxScore)
      BIND (IF(?sd > 0, xsd:double(?value - ?mean) / ?sd, 0.0) AS ?z)
      BIND (IF(?direction = csp:higherIsBetter, ?z, -?z) AS ?zScore)
      BIND (IF(?method = csp:noNormalisation, ?value,
               IF(?method = csp:zScore, ?zScore, ?minMaxScore)) AS ?s)
    }
    GROUP BY ?node ?city ?year
  }
  {
    SELECT ?node ?year (COUNT(DISTINCT ?child) AS ?selected) WHERE {
      GRAPH ?fg2 { ?node csp:inFramework ?framework ; csp:level ?level .
                   ?child csp:parentNode ?node . }
      GRAPH ?stage { ?child stage:recordsIn ?year . }
    }
    GROUP BY ?node ?year
  }
  GRAPH ?fg3 { ?node csp:aggregation ?rule . ?framework csp:minimumCoverage ?minimum . }
  BIND (xsd:decimal(?have) / ?selected AS ?coverage)  # a decimal on every engine
  BIND (IF(?coverage >= ?minimum, csp:scoreValue, csp:reason) AS ?valueProperty)
  BIND (IF(?coverage >= ?minimum,
           IF(?rule = csp:sum, ?weighted, ?weighted / ?weights),
           CONCAT("data for ", STR(?have), " of ", STR(?selected),
                  " parts; at least ", STR(xsd:integer(ROUND(?minimum * 100))),
                  " % are needed")) AS ?valueOrReason)
  BIND (IF(?coverage < ?minimum, csp:NotScored,
           IF(NOT EXISTS { GRAPH ?fg5 { ?node csp:parentNode ?parent } }, csp:CompositeIndex,
              IF(EXISTS { GRAPH ?fg4 { ?node csp:standsFor ?aspect } },
                 csp:ElementScore, csp:Assessment))) AS ?resultClass)
  BIND (IRI(CONCAT(STR(?run), "/result/", MD5(CONCAT(STR(?node), " ", STR(?city), " ",
                                                      STR(?year))))) AS ?result)
} ;

# the graphs the observations were read from: those with observations of the framework's
# indicators (in any year: cq10 picks the year); the run used them (prov:used), and cq10
# finds the observations of a score in them, by the indicators of its node, its city and year
INSERT { GRAPH ?run { ?run prov:used ?g . } }
WHERE {
  {
    SELECT DISTINCT ?g WHERE {
      {
        SELECT DISTINCT ?indicator WHERE {
          GRAPH ?fg1 { ?node csp:inFramework ?framework ; csp:level ?level .
                       ?child csp:parentNode ?node ; csp:standsFor ?indicator . }
        }
      }
      GRAPH ?g { ?o csp:indicator ?indicator . }
    }
  }
} ;

# the cities with scores in each year: every city-year with an indicator score has a record
# (score or not-scored) at level 1, on the parent of that indicator
INSERT { GRAPH ?stage { ?cityYear stage:city ?city ; stage:year ?year . } }
WHERE {
  {
    SELECT DISTINCT ?city ?year WHERE {
      GRAPH ?fg { ?node csp:inFramework ?framework ; csp:level ?level . }
      GRAPH ?run { ?record csp:frameworkNode ?node ; csp:city ?city ; csp:refYear ?year . }
    }
  }
  BIND (IRI(CONCAT(STR(?stage), "/city-year/", MD5(CONCAT(STR(?city), " ", STR(?year)))))
        AS ?cityYear)
}
