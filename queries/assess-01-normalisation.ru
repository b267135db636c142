# Assessment step 1: the normalisation of every indicator, published with the run.
# For every indicator node (level 0) of the framework and every year with numeric data: the
# distribution the cities' values were normalised against, after any outlier treatment, as a
# csp:IndicatorDistribution in the run's named graph (the number of cities, the minimum,
# maximum and mean of the values and their population standard deviation; one value per city:
# several observations of a (city, indicator, year), from several submissions, are averaged);
# and for every value winsorised by assess-00-winsorise, a csp:WinsorisedValue with the city's
# original and treated value. With these and the observations, every indicator score of the run
# can be recomputed: assess-02-first-level does so as it aggregates the first level, and
# queries/indicator-scores.rq lists them. The run stores no indicator-level score nodes (a
# national corpus has hundreds of thousands), only what makes them reproducible.
# The staged standard deviation is that of the min-max-rescaled values (assess-00-statistics);
# divided by the rescaling factor it is the standard deviation of the values (0 when all
# values are equal).
# Parameters: (bound in every WHERE block)
#   ?run        IRI of the assessment run: the named graph written
#   ?stage      IRI of the run's staging graph (read)
#   ?framework  IRI of the assessment framework
# Writes: csp:IndicatorDistribution with csp:frameworkNode, csp:refYear, csp:cityCount,
#   csp:smallestValue, csp:largestValue, csp:meanValue, csp:standardDeviation and
#   prov:wasGeneratedBy; csp:WinsorisedValue with csp:frameworkNode, csp:city, csp:refYear,
#   csp:originalValue, csp:treatedValue and prov:wasGeneratedBy.
PREFIX csp:   <https://w3id.org/cityculture/ontology/>
PREFIX prov:  <http://www.w3.org/ns/prov#>
PREFIX xsd:   <http://www.w3.org/2001/XMLSchema#>
PREFIX stage: <https://w3id.org/cityculture/stage/>

INSERT {
  GRAPH ?run {
    ?distribution a csp:IndicatorDistribution ;
                  csp:frameworkNode ?node ;
                  csp:refYear ?year ;
                  csp:cityCount ?n ;
                  csp:smallestValue ?min ;
                  csp:largestValue ?max ;
                  csp:meanValue ?mean ;
                  csp:standardDeviation ?sd ;
                  prov:wasGeneratedBy ?run .
  }
}
WHERE {
  GRAPH ?frameworkGraph {
    ?node csp:inFramework ?framework ; csp:level 0 ; csp:standsFor ?indicator .
  }
  GRAPH ?stage {
    ?stat stage:indicator ?indicator ; stage:year ?year ; stage:n ?n ; stage:min ?min ;
          stage:max ?max ; stage:mean ?mean ; stage:scale ?scale ; stage:root ?root .
  }
  # all values equal: no spread (the staged root of 0 is only near 0 after the Newton steps)
  BIND (IF(?max = ?min, 0.0e0, xsd:double(?root) / ?scale) AS ?sd)
  BIND (IRI(CONCAT(STR(?run), "/distribution/", MD5(CONCAT(STR(?node), " ", STR(?year)))))
        AS ?distribution)
} ;

INSERT {
  GRAPH ?run {
    ?winsorised a csp:WinsorisedValue ;
                csp:frameworkNode ?node ;
                csp:city ?city ;
                csp:refYear ?year ;
                csp:originalValue ?original ;
                csp:treatedValue ?treated ;
                prov:wasGeneratedBy ?run .
  }
}
WHERE {
  GRAPH ?stage {
    ?member stage:indicator ?indicator ; stage:year ?year ; stage:city ?city ;
            stage:original ?original ; stage:treatedValue ?treated .
  }
  GRAPH ?frameworkGraph {
    ?node csp:inFramework ?framework ; csp:level 0 ; csp:standsFor ?indicator .
  }
  BIND (IRI(CONCAT(STR(?run), "/winsorised/", MD5(CONCAT(STR(?node), " ", STR(?city), " ",
                                                          STR(?year))))) AS ?winsorised)
}
