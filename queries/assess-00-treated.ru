# Assessment step 0, after winsorisation: the treated values and their statistics.
# For every (indicator, year) staged by assess-00-outliers: the points whose value was changed
# by assess-00-winsorise get their treated value (read by assess-01 in place of the city's
# value); the statistics of the (indicator, year) are recomputed from the treated values, by
# the same formulas as assess-00-statistics (min, max, sum, sum of squares, mean, scale and the
# Newton standard deviation of the min-max-rescaled values); the run's csp:OutlierCheck
# records how many points were winsorised.
# Parameters: (bound in every WHERE block)
#   ?run        IRI of the assessment run (written)
#   ?stage      IRI of the run's staging graph (read and written)
#   ?framework  IRI of the assessment framework
# Writes: stage:treatedValue (staging graph); csp:winsorisedPoints on csp:OutlierCheck (run
#   graph).
PREFIX csp:   <https://w3id.org/cityculture/ontology/>
PREFIX xsd:   <http://www.w3.org/2001/XMLSchema#>
PREFIX stage: <https://w3id.org/cityculture/stage/>

INSERT { GRAPH ?stage { ?member stage:treatedValue ?value . } }
WHERE {
  GRAPH ?stage { ?member stage:member ?stat ; stage:value ?value ; stage:original ?original . }
  FILTER (?value != ?original)
} ;

INSERT { GRAPH ?run { ?check csp:winsorisedPoints ?treated . } }
WHERE {
  {
    SELECT ?stat (SUM(IF(?value != ?original, 1, 0)) AS ?treated) WHERE {
      GRAPH ?stage { ?member stage:member ?stat ; stage:value ?value ;
                             stage:original ?original . }
    }
    GROUP BY ?stat
  }
  GRAPH ?stage { ?stat stage:indicator ?indicator ; stage:year ?year . }
  GRAPH ?fg { ?node csp:inFramework ?framework ; csp:level 0 ; csp:standsFor ?indicator . }
  BIND (IRI(CONCAT(STR(?run), "/outlier-check/", MD5(CONCAT(STR(?node), " ", STR(?year)))))
        AS ?check)
} ;

DELETE {
  GRAPH ?stage {
    ?stat stage:min ?oldMin ; stage:max ?oldMax ; stage:sum ?oldSum ;
          stage:squares ?oldSquares ; stage:mean ?oldMean ; stage:scale ?oldScale ;
          stage:sd ?oldSd .
  }
}
INSERT {
  GRAPH ?stage {
    ?stat stage:min ?min ; stage:max ?max ; stage:sum ?sum ; stage:squares ?squares ;
          stage:mean ?mean ; stage:scale ?scale ; stage:sd ?r12 .
  }
}
WHERE {
  {
    SELECT ?stat (MIN(?v) AS ?min) (MAX(?v) AS ?max) (COUNT(?v) AS ?n) (SUM(?v) AS ?sum)
           (SUM(?v * ?v) AS ?squares) (SUM(IF(?v != ?original, 1, 0)) AS ?treated)
    WHERE {
      GRAPH ?stage { ?member stage:member ?stat ; stage:value ?v ; stage:original ?original . }
    }
    GROUP BY ?stat
  }
  FILTER (?treated > 0)
  GRAPH ?stage {
    ?stat stage:min ?oldMin ; stage:max ?oldMax ; stage:sum ?oldSum ;
          stage:squares ?oldSquares ; stage:mean ?oldMean ; stage:scale ?oldScale ;
          stage:sd ?oldSd .
  }
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
}
